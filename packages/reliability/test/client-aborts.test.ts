import { describe, expect, it } from 'vitest';
import { runClientAborts } from '../src/scenarios/aborts.js';
import { TARGETS } from '../src/targets.js';

describe('client aborts: 1,000 requests abandoned at random points', () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))(
    '%s: exactly one failed span per request, with its route, and no request left active',
    async (_name, target) => {
      const result = await runClientAborts(target, { requests: 1_000, seed: 11 });
      expect(Math.min(...Object.values(result.byPoint))).toBeGreaterThan(250);
      expect(result.spansEnded).toBe(1_000);
      expect(result.notAborted).toEqual([]);
      expect(result.wrongStatus).toEqual([]);
      expect(result.wrongRoute).toEqual([]);
      expect(result.durationCount).toBe(1_000);
      expect(result.durationNotAborted).toBe(0);
      expect(result.activeRequestsAtEnd).toBe(0);
      expect(result.serverAlive).toBe(true);
    },
  );
});
