import { expect } from 'vitest';
import { startRequest } from '../client.js';
import { histogramCount, histogramPoints, sumTotal } from '../metrics.js';
import { ROUTES, sleep } from '../routes.js';
import { ATTR, METRIC } from '../semconv.js';
import { waitFor } from '../wait.js';
import { type CheckContext, spanDurationMs } from './context.js';
import type { Check } from './types.js';

const { events, intervalMs, frame } = ROUTES.stream;
const streamBody = Array.from({ length: events }, (_, i) => frame(i)).join('');

/**
 * Node timers are scheduled against the event loop's cached clock, so one can fire up to about a
 * millisecond earlier than the wall clock says; allow that per event.
 */
const TIMER_SLACK_MS = 2;

/** Waits until the server counts exactly `count` requests in flight. */
const activeRequests = (t: CheckContext, count: number) =>
  waitFor(`http.server.active_requests = ${count}`, async () =>
    sumTotal(await t.telemetry.collect(), METRIC.activeRequests) === count ? true : undefined,
  );

/** Streamed bodies and clients that hang up. */
export const STREAMING_CHECKS: readonly Check[] = [
  {
    id: 'stream.duration-covers-stream',
    title: `the /stream span lasts at least ${events} × ${intervalMs} ms and the body arrives whole`,
    async run(t) {
      const response = await t.request('/stream');
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.body).toBe(streamBody);
      const span = await t.serverSpan();
      expect(spanDurationMs(span)).toBeGreaterThanOrEqual(events * (intervalMs - TIMER_SLACK_MS));
    },
  },
  {
    id: 'stream.response-body-size',
    title: 'the response body size histogram counts exactly the bytes of the SSE frames',
    options: { metrics: { responseBodySize: true } },
    async run(t) {
      expect((await t.request('/stream')).body).toBe(streamBody);
      await t.serverSpan();
      const points = histogramPoints(await t.telemetry.collect(), METRIC.responseBodySize);
      expect(points).toHaveLength(1);
      expect(points[0]?.value.count).toBe(1);
      expect(points[0]?.value.sum).toBe(Buffer.byteLength(streamBody));
      expect(points[0]?.attributes[ATTR.route]).toBe('/stream');
    },
  },
  {
    id: 'metrics.response-body-size',
    title: 'the response body size histogram counts the bytes of a JSON body',
    options: { metrics: { responseBodySize: true } },
    async run(t) {
      const { body } = await t.request('/users/42');
      await t.serverSpan();
      const points = histogramPoints(await t.telemetry.collect(), METRIC.responseBodySize);
      expect(points.map((point) => point.value.sum)).toEqual([Buffer.byteLength(body)]);
    },
  },
  {
    id: 'abort.slow',
    title: 'a client hanging up during /slow ends one span promptly, error.type set, no status',
    async run(t) {
      const request = startRequest(t.url('/slow'));
      const started = Date.now();
      await activeRequests(t, 1);
      request.hangUp();
      await request.closed;
      const span = await t.serverSpan();
      // Ended by the hang-up, not by the handler finishing later.
      expect(spanDurationMs(span)).toBeLessThan(ROUTES.slow.delayMs);
      expect(span.attributes[ATTR.errorType]).toEqual(expect.any(String));
      expect(span.attributes[ATTR.errorType]).not.toBe('');
      expect(span.attributes).not.toHaveProperty([ATTR.statusCode]);
      expect(span.attributes[ATTR.route]).toBe('/slow');
      await activeRequests(t, 0);
      // When the handler finally answers the closed connection, nothing is recorded twice.
      await sleep(Math.max(0, started + ROUTES.slow.delayMs + 50 - Date.now()));
      await t.serverSpans(1);
      expect(histogramCount(await t.telemetry.collect(), METRIC.duration)).toBe(1);
      expect(sumTotal(await t.telemetry.collect(), METRIC.activeRequests)).toBe(0);
    },
  },
  {
    id: 'abort.stream',
    title: 'a client hanging up mid-/stream ends exactly one span with error.type set',
    async run(t) {
      const request = startRequest(t.url('/stream'));
      const started = Date.now();
      const response = await request.response;
      await new Promise<void>((resolve) => response.once('data', () => resolve()));
      request.hangUp();
      await request.closed;
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.errorType]).toEqual(expect.any(String));
      expect(span.attributes[ATTR.errorType]).not.toBe('');
      expect(span.attributes[ATTR.route]).toBe('/stream');
      await activeRequests(t, 0);
      await sleep(Math.max(0, started + events * intervalMs + 50 - Date.now()));
      await t.serverSpans(1);
      expect(histogramCount(await t.telemetry.collect(), METRIC.duration)).toBe(1);
    },
  },
];
