import { describe, expect, it } from 'vitest';
import { fuzzOverFetch, fuzzOverHttp } from '../src/scenarios/request-fuzz.js';
import { TARGETS } from '../src/targets.js';

/** Runs per path: seeded (FUZZ_SEED), so a failure replays; the stress run does more. */
const RUNS = 150;

describe('whole hostile requests, fuzzed', () => {
  it.each(TARGETS.map((t) => [t.name, t] as const))(
    '%s answers as without telemetry, with a W3C-conformant context and one well-formed span',
    async (_name, target) => {
      const result = await fuzzOverHttp(target, { runs: RUNS });
      expect(result.failure).toBeUndefined();
      expect(result.diagnostics).toEqual([]);
      expect(result.activeRequests).toBe(0);
      // GET /users/:id answered 200 over HTTP/1.1: one series per url.scheme (a trusted
      // X-Forwarded-Proto may say https), whatever else the headers said.
      expect(result.durationSeries).toBeGreaterThanOrEqual(1);
      expect(result.durationSeries).toBeLessThanOrEqual(2);
    },
  );

  it.each(['core', 'hono'] as const)('the Fetch path (%s) keeps the same rules', async (kind) => {
    const result = await fuzzOverFetch(kind, { runs: RUNS });
    expect(result.failure).toBeUndefined();
    expect(result.diagnostics).toEqual([]);
    expect(result.activeRequests).toBe(0);
  });
});
