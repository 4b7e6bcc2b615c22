import { expect } from 'vitest';
import { http2Request, startHttp2Request } from '../http2-client.js';
import { histogramCount, histogramPoints, sumTotal } from '../metrics.js';
import { type Probe, ROUTES, sleep } from '../routes.js';
import { ATTR, METRIC } from '../semconv.js';
import { waitFor } from '../wait.js';
import { type CheckContext, spanDurationMs } from './context.js';
import type { Check } from './types.js';

/** The `error.type` of a request the client cancelled (core's documented value). */
const ABORTED = 'aborted';

const { events, intervalMs, frame } = ROUTES.stream;
const streamBody = Array.from({ length: events }, (_, i) => frame(i)).join('');
/** Node timers may fire up to about a millisecond early against the wall clock; allow that. */
const TIMER_SLACK_MS = 2;

const activeRequests = (t: CheckContext, count: number) =>
  waitFor(`http.server.active_requests = ${count}`, async () =>
    sumTotal(await t.telemetry.collect(), METRIC.activeRequests) === count ? true : undefined,
  );

/** The scheme the span must report for the transport the server was started with. */
const schemeOf = (t: CheckContext) => new URL(t.server.url).protocol.slice(0, -1);

/**
 * The checks run over HTTP/2, once in cleartext (h2c, prior knowledge) and once over TLS (ALPN
 * `h2`). Ids are prefixed by the runner with the transport.
 */
export const HTTP2_CHECKS: readonly Check[] = [
  {
    id: 'users-id',
    title: 'one span with network.protocol.version=2, the route, the scheme and status 200',
    async run(t) {
      const response = await http2Request(t.server.url, '/users/42');
      expect(response.status).toBe(200);
      const seen = JSON.parse(response.body) as Probe;
      const span = await t.serverSpan();
      expect(span.name).toBe('GET /users/:id');
      expect(span.attributes[ATTR.protocolVersion]).toBe('2');
      expect(span.attributes[ATTR.urlScheme]).toBe(schemeOf(t));
      expect(span.attributes[ATTR.route]).toBe('/users/:id');
      expect(span.attributes[ATTR.statusCode]).toBe(200);
      expect(span.attributes).not.toHaveProperty([ATTR.errorType]);
      expect(seen.traceId).toBe(span.spanContext().traceId);
      const [point] = histogramPoints(await t.telemetry.collect(), METRIC.duration);
      expect(point?.attributes[ATTR.protocolVersion]).toBe('2');
    },
  },
  {
    id: 'status-matrix',
    title: '400 unset, 503 error.type "503", a rejected handler error.type FailError',
    async run(t) {
      expect((await http2Request(t.server.url, '/bad')).status).toBe(ROUTES.bad.status);
      expect((await http2Request(t.server.url, '/server-error')).status).toBe(
        ROUTES.serverError.status,
      );
      expect((await http2Request(t.server.url, '/fail')).status).toBe(500);
      const spans = await t.serverSpans(3);
      const byRoute = new Map(spans.map((span) => [span.attributes[ATTR.route], span]));
      expect(byRoute.get('/bad')?.attributes[ATTR.statusCode]).toBe(ROUTES.bad.status);
      expect(byRoute.get('/bad')?.attributes).not.toHaveProperty([ATTR.errorType]);
      expect(byRoute.get('/server-error')?.attributes[ATTR.errorType]).toBe(
        String(ROUTES.serverError.status),
      );
      expect(byRoute.get('/fail')?.attributes[ATTR.statusCode]).toBe(500);
      expect(byRoute.get('/fail')?.attributes[ATTR.errorType]).toBe('FailError');
    },
  },
  {
    id: 'body-sizes',
    title: 'request and response body size histograms count the bytes sent and received',
    options: { metrics: { requestBodySize: true, responseBodySize: true } },
    async run(t) {
      const sent = JSON.stringify({ name: 'ada' });
      const response = await http2Request(t.server.url, '/users', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(sent)),
        },
        body: sent,
      });
      expect(response.status).toBe(ROUTES.created.status);
      await t.serverSpan();
      const metrics = await t.telemetry.collect();
      const request = histogramPoints(metrics, METRIC.requestBodySize);
      const responses = histogramPoints(metrics, METRIC.responseBodySize);
      expect(request.map((point) => point.value.sum)).toEqual([Buffer.byteLength(sent)]);
      expect(responses.map((point) => point.value.sum)).toEqual([Buffer.byteLength(response.body)]);
    },
  },
  {
    id: 'stream',
    title: 'the /stream span covers the whole stream, status 200, body size = the SSE bytes',
    options: { metrics: { responseBodySize: true } },
    async run(t) {
      const response = await http2Request(t.server.url, '/stream');
      expect(response.status).toBe(200);
      expect(response.body).toBe(streamBody);
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.statusCode]).toBe(200);
      expect(span.attributes).not.toHaveProperty([ATTR.errorType]);
      expect(spanDurationMs(span)).toBeGreaterThanOrEqual(events * (intervalMs - TIMER_SLACK_MS));
      const points = histogramPoints(await t.telemetry.collect(), METRIC.responseBodySize);
      expect(points.map((point) => point.value.sum)).toEqual([Buffer.byteLength(streamBody)]);
    },
  },
  {
    id: 'abort.slow',
    title: 'RST_STREAM (CANCEL) during /slow: one span, promptly, error.type=aborted, no status',
    async run(t) {
      const request = startHttp2Request(t.server.url, '/slow');
      const started = Date.now();
      await activeRequests(t, 1);
      request.cancel();
      await request.closed;
      const span = await t.serverSpan();
      expect(spanDurationMs(span)).toBeLessThan(ROUTES.slow.delayMs);
      expect(span.attributes[ATTR.errorType]).toBe(ABORTED);
      expect(span.attributes).not.toHaveProperty([ATTR.statusCode]);
      expect(span.attributes[ATTR.route]).toBe('/slow');
      await activeRequests(t, 0);
      // When the handler finally answers the cancelled stream, nothing is recorded twice.
      await sleep(Math.max(0, started + ROUTES.slow.delayMs + 50 - Date.now()));
      await t.serverSpans(1);
      expect(histogramCount(await t.telemetry.collect(), METRIC.duration)).toBe(1);
    },
  },
  {
    id: 'abort.stream',
    title: 'RST_STREAM (CANCEL) mid-/stream: one span, error.type=aborted, the 200 that was sent',
    async run(t) {
      const request = startHttp2Request(t.server.url, '/stream');
      const started = Date.now();
      expect(await request.response).toBe(200);
      await request.firstData;
      request.cancel();
      await request.closed;
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.errorType]).toBe(ABORTED);
      expect(span.attributes[ATTR.statusCode]).toBe(200);
      expect(span.attributes[ATTR.route]).toBe('/stream');
      await activeRequests(t, 0);
      await sleep(Math.max(0, started + events * intervalMs + 50 - Date.now()));
      await t.serverSpans(1);
      expect(histogramCount(await t.telemetry.collect(), METRIC.duration)).toBe(1);
    },
  },
];
