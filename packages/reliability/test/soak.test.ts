import { describe, expect, it } from 'vitest';
import { runSoak, totalOf } from '../src/scenarios/soak.js';
import { TARGETS } from '../src/targets.js';

/** The stated bound for a 10-second soak: heap after GC within 8 MiB of its post-warm-up value. */
const HEAP_BOUND_MB = 8;

describe('soak: 10 s of mixed load on core and the four adapters at once', () => {
  it('keeps the heap flat, every request answered, and no handle behind', async () => {
    const result = await runSoak(TARGETS, { durationMs: 10_000 });
    for (const target of result.targets) {
      expect(target.requests, target.target).toBeGreaterThan(100);
      expect(target.failed, target.target).toBe(0);
      expect(target.activeRequestsAtEnd, target.target).toBe(0);
      // Aborted requests are exported too: one span per request, nothing lost or doubled.
      expect(target.spansExported, target.target).toBe(target.requests);
    }
    expect(Math.abs(result.heapGrowth)).toBeLessThan(HEAP_BOUND_MB);
    expect(totalOf(result.handlesAfter)).toBeLessThanOrEqual(totalOf(result.handlesBefore));
  }, 60_000);
});
