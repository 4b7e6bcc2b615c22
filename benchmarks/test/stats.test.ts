import { describe, expect, it } from 'vitest';
import { compareWithBare, median, spread, summarise } from '../src/stats.mjs';
import { makeRun } from './runs.js';

describe('median', () => {
  it.each([
    [[], Number.NaN],
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[10, 10, 1, 10], 10],
  ])('of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('spread', () => {
  it('gives median, min, max and count of the finite values', () => {
    expect(spread([0.9, Number.NaN, 0.8, 1.0, Number.POSITIVE_INFINITY])).toEqual({
      median: 0.9,
      min: 0.8,
      max: 1.0,
      n: 3,
    });
  });

  it('is undefined without a finite value', () => {
    expect(spread([Number.NaN])).toBeUndefined();
    expect(spread([])).toBeUndefined();
  });
});

describe('compareWithBare', () => {
  it('divides by the bare run of the same framework and round, not by the overall median', () => {
    const runs = [
      makeRun({ mode: 'bare', round: 0, requestsPerSecond: 1000, cpuPerRequestUs: 100 }),
      makeRun({ mode: 'otel-http', round: 0, requestsPerSecond: 900, cpuPerRequestUs: 110 }),
      // A slower round: the machine lost half its speed, both modes alike.
      makeRun({ mode: 'bare', round: 1, requestsPerSecond: 500, cpuPerRequestUs: 200 }),
      makeRun({ mode: 'otel-http', round: 1, requestsPerSecond: 450, cpuPerRequestUs: 220 }),
      makeRun({ framework: 'koa', mode: 'bare', round: 0, requestsPerSecond: 10 }),
    ];
    const ours = compareWithBare(runs).filter((c) => c.mode === 'otel-http');
    expect(ours.map((c) => c.throughputRatio)).toEqual([0.9, 0.9]);
    expect(ours.map((c) => c.cpuRatio)).toEqual([1.1, 1.1]);
    expect(ours.map((c) => c.addedCpuUs)).toEqual([10, 20]);
  });

  it('leaves out rejected runs and rounds whose bare run was rejected', () => {
    const runs = [
      makeRun({ mode: 'bare', round: 0, rejected: ['3 responses outside 2xx'] }),
      makeRun({ mode: 'otel-http', round: 0 }),
      makeRun({ mode: 'bare', round: 1, requestsPerSecond: 1000 }),
      makeRun({
        mode: 'otel-http',
        round: 1,
        requestsPerSecond: 10,
        rejected: ['1 connection errors'],
      }),
      makeRun({ mode: 'otel-http', round: 1, attempt: 2, requestsPerSecond: 950 }),
    ];
    const ours = compareWithBare(runs).filter((c) => c.mode === 'otel-http');
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ round: 1, throughputRatio: 0.95 });
  });
});

describe('summarise', () => {
  it('gives per-cell medians and the per-round ratio spreads, counting rejected attempts', () => {
    const runs = [0, 1, 2].flatMap((round) => [
      makeRun({ mode: 'bare', round, requestsPerSecond: 1000 + round * 100, cpuPerRequestUs: 100 }),
      makeRun({
        mode: 'floor',
        round,
        requestsPerSecond: (1000 + round * 100) * [0.8, 0.9, 0.85][round]!,
        cpuPerRequestUs: 120 + round,
      }),
    ]);
    runs.push(makeRun({ mode: 'floor', round: 2, rejected: ['no SERVER span'] }));
    const [bare, floor] = summarise(runs, ['express'], ['bare', 'floor']);
    expect(bare).toMatchObject({ accepted: 3, rejected: 0, requestsPerSecond: { median: 1100 } });
    expect(bare?.throughputRatio).toEqual({ median: 1, min: 1, max: 1, n: 3 });
    expect(floor).toMatchObject({ accepted: 3, rejected: 1 });
    expect(floor?.throughputRatio?.median).toBeCloseTo(0.85);
    expect(floor?.throughputRatio?.min).toBeCloseTo(0.8);
    expect(floor?.throughputRatio?.max).toBeCloseTo(0.9);
    expect(floor?.addedCpuUs).toEqual({ median: 21, min: 20, max: 22, n: 3 });
  });

  it('reports a cell without accepted runs as empty rather than dropping it', () => {
    const [cell] = summarise(
      [makeRun({ rejected: ['no successful response'] })],
      ['express'],
      ['bare'],
    );
    expect(cell).toMatchObject({ accepted: 0, rejected: 1, requestsPerSecond: undefined });
  });
});
