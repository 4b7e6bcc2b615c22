import { describe, expect, it } from 'vitest';
import { runCollectorDown } from '../src/scenarios/collector-down.js';
import { TARGETS } from '../src/targets.js';

// The stress run does 20,000 requests with the SDK's default queue and exporter timeout; here a
// small queue and a short exporter timeout make 2,000 requests overflow it within seconds.
describe('collector down: OTLP/HTTP to a closed loopback port', () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))(
    '%s: every request succeeds, memory stays bounded, every span is accounted for',
    async (_name, target) => {
      const result = await runCollectorDown(target, {
        requests: 2_000,
        batch: { maxQueueSize: 512, maxExportBatchSize: 128, scheduledDelayMillis: 200 },
        exporterTimeoutMillis: 1_000,
      });
      expect(result.failedRequests).toBe(0);
      expect(result.spansEnded).toBe(2_000);
      expect(result.exportSucceeded).toBe(0);
      expect(result.dropped).toBeGreaterThan(0);
      expect(result.queued).toBeLessThanOrEqual(512);
      expect(result.unaccounted).toBe(0);
      expect(result.activeRequestsAtEnd).toBe(0);
      // A bounded queue holds a few hundred spans: the heap must not keep thousands of them.
      expect(result.memory.heapAfter - result.memory.heapBefore).toBeLessThan(24);
    },
  );
});
