import { AlwaysOnSampler } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { runUntrustedEdge } from '../src/scenarios/untrusted-edge.js';
import { TARGETS } from '../src/targets.js';

const REQUESTS = 200;
const targets = TARGETS.map((t) => [t.name, t] as const);

describe('untrusted edge: a caller cannot force sampling', () => {
  it.each(targets)(
    '%s, trustRemoteContext: false — sampled=1 callers stay unsampled',
    async (_name, target) => {
      const result = await runUntrustedEdge(target, {
        trust: false,
        trustLabel: 'false',
        requests: REQUESTS,
      });
      expect(result.sampledInHandler).toBe(0);
      expect(result.exported).toBe(0);
      expect(result.sampledResponseHeaders).toBe(0);
      expect(result.continuedCallerTrace).toBe(0);
      expect(result.sawCallerBaggage).toBe(0);
      expect(result.measured).toBe(REQUESTS);
    },
  );

  it.each(targets)(
    '%s, a trust predicate that throws is read as "not trusted"',
    async (_name, target) => {
      const result = await runUntrustedEdge(target, {
        trust: () => {
          throw new Error('predicate bug');
        },
        trustLabel: 'throwing predicate',
        requests: 20,
      });
      expect(result.sampledInHandler).toBe(0);
      expect(result.exported).toBe(0);
      expect(result.continuedCallerTrace).toBe(0);
      expect(result.diagnostics).toBeGreaterThanOrEqual(20);
    },
  );

  it.each(targets)(
    '%s, with an always-on root the new root span links to the caller',
    async (_name, target) => {
      const result = await runUntrustedEdge(target, {
        trust: false,
        trustLabel: 'false, always-on root',
        requests: 20,
        sampler: new AlwaysOnSampler(),
      });
      expect(result.exported).toBe(20);
      expect(result.continuedCallerTrace).toBe(0);
      expect(result.linkedToCaller).toBe(20);
    },
  );

  it.each(targets)(
    '%s, control: a trusting server does follow the caller',
    async (_name, target) => {
      const result = await runUntrustedEdge(target, {
        trust: true,
        trustLabel: 'true (control)',
        requests: 20,
      });
      expect(result.sampledInHandler).toBe(20);
      expect(result.exported).toBe(20);
      expect(result.continuedCallerTrace).toBe(20);
      expect(result.sawCallerBaggage).toBe(20);
    },
  );
});
