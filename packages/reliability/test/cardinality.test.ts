import { DEFAULT_KNOWN_METHODS } from '@otel-http/core';
import { describe, expect, it } from 'vitest';
import { ODD_METHODS, runCardinalityAttack } from '../src/scenarios/cardinality.js';
import { TARGETS } from '../src/targets.js';

describe('cardinality attack: 10,000 requests to distinct paths with odd methods', () => {
  // The four adapters take the full 10,000; core alone (the path they share) a fifth of it.
  const cases = TARGETS.map((t) => [t.name, t, t.name === 'node' ? 2_000 : 10_000] as const);

  it.each(cases)(
    '%s: the metric series are those the route table allows, and stop growing',
    async (_name, target, requests) => {
      const result = await runCardinalityAttack(target, { requests, checkpoint: 1_000, seed: 9 });
      expect(result.completed).toBe(requests);
      expect(result.networkErrors).toBe(0);
      expect(result.refusedAnswered + result.refusedReset).toBe(result.refusedByNode);
      expect(result.distinctPaths).toBeGreaterThan(requests * 0.99);
      expect(result.distinctMethods).toBeGreaterThan(ODD_METHODS.length);

      expect(result.forbiddenAttributes).toEqual([]);
      expect(result.unexpectedSeries).toEqual([]);
      expect(result.missingSeries).toEqual([]);
      // A handful of series for ten thousand distinct paths, all there after the first thousand.
      expect(result.seriesAtEnd).toBe(result.expectedSeries);
      expect(result.seriesAtEnd).toBeLessThanOrEqual(30);
      expect(result.seriesAtEnd).toBe(result.seriesAtCheckpoint);
      // active_requests carries method and scheme only: at most the known methods + _OTHER.
      expect(result.activeRequestSeries).toBeLessThanOrEqual(DEFAULT_KNOWN_METHODS.length + 1);
      expect(result.activeRequestsAtEnd).toBe(0);

      expect(result.spanProblems).toEqual([]);
      expect(result.spansEnded).toBe(requests - result.refusedByNode);
      // Span names: a known method or HTTP (unknown methods), with or without a route.
      expect(result.distinctSpanNames).toBeLessThanOrEqual(DEFAULT_KNOWN_METHODS.length + 1);
    },
  );
});
