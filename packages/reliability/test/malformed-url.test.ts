import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../src/client.js';
import { type RunningServer, TARGETS, type Target } from '../src/targets.js';
import { createTelemetry, METRIC, type Telemetry } from '../src/telemetry.js';

/** Paths whose percent-encoding is broken: a framework may refuse them, but the request happened. */
const MALFORMED = ['/nowhere/%zz', '/users/%E0%A4%A'] as const;

function suite(target: Target) {
  let telemetry: Telemetry;
  let server: RunningServer;
  let control: RunningServer;
  beforeAll(async () => {
    telemetry = createTelemetry();
    server = await target.start(telemetry.options);
    control = await target.start(telemetry.options, { instrument: false });
  });
  afterAll(async () => {
    await Promise.all([server.close(), control.close()]);
    await telemetry.shutdown();
  });

  return async () => {
    for (const path of MALFORMED) {
      const [reply, expected] = await Promise.all([
        send(server.url + path),
        send(control.url + path),
      ]);
      expect(reply.status, path).toBe(expected.status);
    }
    const spans = await telemetry.waitForSpans(MALFORMED.length, 2_000);
    expect(spans.map((span) => span.attributes['url.path']).sort()).toEqual([...MALFORMED].sort());
    // A framework may still route `/users/%E0%A4%A` (and hand the handler the raw id): the route
    // is then the template, never the raw path.
    for (const span of spans)
      expect([undefined, '/users/:id']).toContain(span.attributes['http.route']);
    const points = await telemetry.points(METRIC.duration);
    const counted = points.reduce(
      (sum, point) => sum + (point.value as { count: number }).count,
      0,
    );
    expect(counted).toBe(MALFORMED.length);
  };
}

describe('a request with a malformed percent-encoded path is still one span and one measurement', () => {
  // Fastify answers such paths itself (400, FST_ERR_BAD_URL) before any hook runs; the plugin
  // records them anyway (this test found the gap).
  describe.each(TARGETS.map((t) => [t.name, t] as const))('%s', (_name, target) => {
    it('records the request', suite(target));
  });
});
