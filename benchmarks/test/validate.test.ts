import { describe, expect, it } from 'vitest';
import type { Mode } from '../src/matrix.mjs';
import type { Run } from '../src/stats.mjs';
import { rejectionReasons } from '../src/validate.mjs';
import { makeRun } from './runs.js';

const IN_FLIGHT = 50;
const reasons = (mode: Mode, overrides: Partial<Run> = {}) =>
  rejectionReasons(makeRun({ mode, ...overrides }), IN_FLIGHT);

describe('rejectionReasons', () => {
  it.each(['bare', 'metrics', 'otel-http', 'official', 'floor'] as Mode[])(
    'accepts a clean %s run',
    (mode) => {
      expect(reasons(mode)).toEqual([]);
    },
  );

  it('accepts a 10 % run with about a tenth of the requests traced', () => {
    expect(reasons('otel-http-10%', { spans: { server: 1_020, other: 0 } })).toEqual([]);
  });

  it('accepts counts that differ by the requests in flight at the window edges', () => {
    expect(reasons('otel-http', { spans: { server: 10_000 - IN_FLIGHT, other: 0 } })).toEqual([]);
    expect(reasons('metrics', { durationPoints: 10_000 + IN_FLIGHT })).toEqual([]);
  });

  it.each<[string, Mode, Partial<Run>, RegExp]>([
    ['connection errors', 'bare', { errors: 3 }, /3 connection errors/],
    ['non-2xx responses', 'otel-http', { non2xx: 1 }, /1 responses outside 2xx/],
    ['no response at all', 'bare', { requests: 0, handled: 0 }, /no successful response/],
    ['responses the route did not answer', 'bare', { requests: 10_001 }, /route answered 10000/],
    [
      'a traced mode without spans',
      'otel-http',
      { spans: { server: 0, other: 0 } },
      /0 SERVER spans/,
    ],
    [
      'spans missing beyond the in-flight margin',
      'floor',
      { spans: { server: 9_000, other: 0 } },
      /9000 SERVER spans/,
    ],
    [
      'official without server spans',
      'official',
      { spans: { server: 0, other: 5 } },
      /0 SERVER spans/,
    ],
    [
      'a 10 % mode without spans',
      'otel-http-10%',
      { spans: { server: 0, other: 0 } },
      /no SERVER span/,
    ],
    [
      'a 10 % mode tracing everything',
      'otel-http-10%',
      { spans: { server: 10_000, other: 0 } },
      /sampled at 0.1/,
    ],
    ['spans from bare', 'bare', { spans: { server: 5, other: 0 } }, /does not trace/],
    ['spans from metrics', 'metrics', { spans: { server: 10_000, other: 0 } }, /does not trace/],
    ['metrics missing', 'otel-http', { durationPoints: 0 }, /histogram counted 0 of 10000/],
    ['metrics in bare', 'bare', { durationPoints: 3 }, /mode without metrics/],
  ])('rejects %s', (_, mode, overrides, reason) => {
    const found = reasons(mode, overrides);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(reason);
  });

  it('does not demand spans from a 10 % run too short to expect any', () => {
    expect(
      reasons('otel-http-10%', {
        requests: 30,
        handled: 30,
        durationPoints: 30,
        spans: { server: 0, other: 0 },
      }),
    ).toEqual([]);
  });

  it('lists every reason, not only the first', () => {
    expect(
      reasons('otel-http', { errors: 2, non2xx: 4, spans: { server: 0, other: 0 } }),
    ).toHaveLength(3);
  });
});
