import { describe, expect, it } from 'vitest';
import { runSecrets, SECRET_CONFIGURATIONS } from '../src/scenarios/secrets.js';
import { TARGETS } from '../src/targets.js';

describe('secrets never reach the exported telemetry', () => {
  const cases = TARGETS.flatMap((target) =>
    SECRET_CONFIGURATIONS.map(
      (configuration) => [target.name, configuration.name, target, configuration] as const,
    ),
  );

  it.each(cases)(
    '%s, %s: no credential value in spans, metrics or diagnostics',
    async (_t, _c, target, configuration) => {
      const result = await runSecrets(target, configuration);
      expect(result.spans).toBe(result.requests);
      expect(result.secrets).toBeGreaterThanOrEqual(15);
      expect(result.leaks).toEqual([]);
      // The requests were recorded, with their credentials replaced rather than dropped unseen.
      expect(result.redactedQuery).toBe(true);
      expect(result.redactedHeaders).toBe(true);
    },
  );
});

describe('the leak detector itself', () => {
  it('finds the signed-URL secrets when query redaction is switched off', async () => {
    const [node] = TARGETS;
    const result = await runSecrets(node as (typeof TARGETS)[number], {
      name: 'redaction off',
      options: { redactQueryParams: () => [] },
    });
    expect(result.leaks).toContain('query-X-Amz-Signature in OTLP protobuf spans');
    expect(result.leaks).toContain('query-sig in OTLP JSON spans');
    // Headers are not captured by default, and a metric never carries the query.
    expect(
      result.leaks.filter((leak) => leak.startsWith('bearer') || leak.includes('metrics')),
    ).toEqual([]);
  });
});
