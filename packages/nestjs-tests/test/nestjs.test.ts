import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  CheckTelemetry,
  type ConformanceServer,
  registerGlobals,
  sleep,
  waitFor,
} from '@otel-http/conformance';
import type { OtelHttpOptions } from '@otel-http/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SSE_EVENTS, startOnExpress, startOnFastify } from './app.js';

const CALLER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER = `00-${CALLER_TRACE_ID}-b7ad6b7169203331-01`;

/**
 * On Express, Nest answers an unknown path under the global prefix from a catch-all route it
 * mounts there (`router.all('*path')` at `/api`): Express reports that route as matched, so the
 * span is named `GET /api*path`. Known and listed in the README; the test flips when it is fixed.
 */
const UNKNOWN_PATH_NAMED_BY_CATCH_ALL = 'unknown-path';

const platforms: Array<
  [string, (options: OtelHttpOptions) => Promise<ConformanceServer>, ReadonlySet<string>]
> = [
  ['@nestjs/platform-express', startOnExpress, new Set([UNKNOWN_PATH_NAMED_BY_CATCH_ALL])],
  ['@nestjs/platform-fastify', startOnFastify, new Set()],
];

describe.each(platforms)('NestJS on %s', (_platform, start, knownGaps) => {
  const itUnlessKnownGap = (gap: string) => (knownGaps.has(gap) ? it.fails : it);

  let telemetry: CheckTelemetry;
  let server: ConformanceServer;
  let unregister: () => void;

  beforeAll(async () => {
    unregister = registerGlobals();
    telemetry = new CheckTelemetry();
    server = await start({ ...telemetry.options });
  });
  afterAll(async () => {
    await server?.close();
    await telemetry?.shutdown();
    unregister?.();
  });
  beforeEach(() => telemetry.exporter.reset());

  /** Sends one request and returns its status and body with the one SERVER span it made. */
  async function exchange(path: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}${path}`, { headers });
    const body = await response.text();
    const span = await waitFor(`the SERVER span of ${path}`, () => telemetry.serverSpans()[0]);
    // Long enough on loopback for a second SERVER span, had there been one, to be exported too.
    await sleep(30);
    expect(telemetry.serverSpans()).toHaveLength(1);
    return { status: response.status, body, headers: response.headers, span };
  }

  const routeOf = (span: ReadableSpan) => span.attributes['http.route'];

  it('names a controller route with the global prefix and the URI version, parameters kept', async () => {
    const { status, body, span } = await exchange('/api/v1/users/42', { traceparent: CALLER });
    expect(status).toBe(200);
    expect(span.name).toBe('GET /api/v1/users/:id');
    expect(routeOf(span)).toBe('/api/v1/users/:id');
    expect(span.attributes['url.path']).toBe('/api/v1/users/42');
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // The controller ran inside the server span, in the caller's trace.
    expect(span.spanContext().traceId).toBe(CALLER_TRACE_ID);
    expect(JSON.parse(body)).toEqual({
      id: '42',
      traceId: CALLER_TRACE_ID,
      spanId: span.spanContext().spanId,
    });
  });

  it('keeps every parameter of a nested route template', async () => {
    const { status, span } = await exchange('/api/v1/users/7/posts/99');
    expect(status).toBe(200);
    expect(span.name).toBe('GET /api/v1/users/:id/posts/:postId');
    expect(routeOf(span)).toBe('/api/v1/users/:id/posts/:postId');
  });

  it('a guard rejecting with 403: the route, status UNSET, no error.type', async () => {
    const { status, span } = await exchange('/api/v1/admin/stats');
    expect(status).toBe(403);
    expect(span.name).toBe('GET /api/v1/admin/stats');
    expect(routeOf(span)).toBe('/api/v1/admin/stats');
    expect(span.attributes['http.response.status_code']).toBe(403);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).not.toHaveProperty(['error.type']);
    expect(span.events).toHaveLength(0);
  });

  it.each([
    ['/api/v1/errors/conflict/5', '/api/v1/errors/conflict/:id', 409],
    ['/api/v1/errors/bad', '/api/v1/errors/bad', 400],
  ])(
    'a thrown HttpException (%s) is its 4xx: status UNSET, no error.type',
    async (path, route, code) => {
      const { status, span } = await exchange(path);
      expect(status).toBe(code);
      expect(span.name).toBe(`GET ${route}`);
      expect(routeOf(span)).toBe(route);
      expect(span.attributes['http.response.status_code']).toBe(code);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes).not.toHaveProperty(['error.type']);
    },
  );

  it("the application's exception filter answers: its status, the route kept", async () => {
    const { status, body, span } = await exchange('/api/v1/errors/quota');
    expect(status).toBe(422);
    expect(JSON.parse(body)).toEqual({ error: 'quota' });
    expect(span.name).toBe('GET /api/v1/errors/quota');
    expect(routeOf(span)).toBe('/api/v1/errors/quota');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).not.toHaveProperty(['error.type']);
  });

  it('a thrown plain Error is a 500: ERROR, error.type its class, one exception event', async () => {
    const { status, span } = await exchange('/api/v1/errors/plain');
    expect(status).toBe(500);
    expect(span.name).toBe('GET /api/v1/errors/plain');
    expect(routeOf(span)).toBe('/api/v1/errors/plain');
    expect(span.attributes['http.response.status_code']).toBe(500);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('TypeError');
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
    expect(span.events[0]?.attributes?.['exception.message']).toBe('broken');
  });

  itUnlessKnownGap(UNKNOWN_PATH_NAMED_BY_CATCH_ALL)(
    'an unknown path is a 404 named by the method alone, without http.route',
    async () => {
      const { status, span } = await exchange('/api/v1/nowhere/1');
      expect(status).toBe(404);
      expect(span.name).toBe('GET');
      expect(span.attributes).not.toHaveProperty(['http.route']);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    },
  );

  it('an unknown path is a 404, status UNSET, no error.type', async () => {
    const { status, span } = await exchange('/api/v1/nowhere/1');
    expect(status).toBe(404);
    expect(span.attributes['http.response.status_code']).toBe(404);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).not.toHaveProperty(['error.type']);
  });

  it('an @Sse() endpoint: the route, and the span ends after the last event', async () => {
    const response = await fetch(`${server.url}/api/v1/events/stream`);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await response.text();
    const events = body.split('\n').filter((line) => line.startsWith('data: '));
    expect(events).toEqual(Array.from({ length: SSE_EVENTS }, (_, i) => `data: event-${i}`));
    const span = await waitFor('the SSE SERVER span', () => telemetry.serverSpans()[0]);
    expect(span.name).toBe('GET /api/v1/events/stream');
    expect(routeOf(span)).toBe('/api/v1/events/stream');
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // Ended when the stream did, not when the controller returned its Observable: the events
    // are 20 ms apart, so the stream cannot have lasted less than this.
    const [seconds, nanos] = span.endTime;
    const [startSeconds, startNanos] = span.startTime;
    const durationMs = (seconds - startSeconds) * 1000 + (nanos - startNanos) / 1e6;
    expect(durationMs).toBeGreaterThanOrEqual(20 * (SSE_EVENTS - 1));
  });
});
