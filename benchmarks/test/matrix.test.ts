import { describe, expect, it } from 'vitest';
import { FRAMEWORKS, MODES, rotate, roundOrder } from '../src/matrix.mjs';

describe('rotate', () => {
  it.each([
    [0, ['a', 'b', 'c']],
    [1, ['b', 'c', 'a']],
    [3, ['a', 'b', 'c']],
    [4, ['b', 'c', 'a']],
    [-1, ['c', 'a', 'b']],
  ])('by %i', (by, expected) => {
    expect(rotate(['a', 'b', 'c'], by)).toEqual(expected);
  });

  it('leaves an empty list empty', () => {
    expect(rotate([], 2)).toEqual([]);
  });
});

describe('roundOrder', () => {
  it('measures every cell exactly once per round', () => {
    for (let round = 0; round < 7; round++) {
      const order = roundOrder(round, FRAMEWORKS, MODES);
      const cells = order.map(({ framework, mode }) => `${framework}/${mode}`);
      expect(new Set(cells).size).toBe(FRAMEWORKS.length * MODES.length);
      expect(cells).toHaveLength(FRAMEWORKS.length * MODES.length);
    }
  });

  it('keeps a framework’s modes together, so each is compared with a bare measured nearby', () => {
    const order = roundOrder(2, FRAMEWORKS, MODES);
    for (let start = 0; start < order.length; start += MODES.length) {
      const group = order.slice(start, start + MODES.length);
      expect(new Set(group.map((cell) => cell.framework)).size).toBe(1);
    }
  });

  it('puts every mode in a different place within its framework over as many rounds as modes', () => {
    for (const mode of MODES) {
      const places = MODES.map((_, round) =>
        roundOrder(round, ['express'], MODES).findIndex((cell) => cell.mode === mode),
      );
      expect(new Set(places).size).toBe(MODES.length);
    }
  });

  it('starts the round with a different framework each round', () => {
    const firsts = FRAMEWORKS.map((_, round) => roundOrder(round, FRAMEWORKS, MODES)[0]?.framework);
    expect(new Set(firsts).size).toBe(FRAMEWORKS.length);
  });
});
