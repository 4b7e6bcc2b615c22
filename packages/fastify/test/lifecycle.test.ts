import { Readable } from 'node:stream';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { CheckTelemetry, sleep } from '@otel-http/conformance';
import { ERROR_TYPE_ABORTED } from '@otel-http/core';
import { afterEach, describe, expect, it } from 'vitest';
import { onlySpan, startApp, type TestApp } from './telemetry.js';

const telemetry = new CheckTelemetry();
let server: TestApp | undefined;

afterEach(async () => {
  await server?.app.close();
  server = undefined;
  telemetry.exporter.reset();
});

const durationMs = (span: ReadableSpan) => hrTimeToMilliseconds(span.duration);

/** How many requests of `route` the duration histogram has counted (cumulative over the file). */
async function durationCount(route: string): Promise<number> {
  const points = await telemetry.histogram('http.server.request.duration');
  return points
    .filter((point) => point.attributes['http.route'] === route)
    .reduce((total, point) => total + point.value.count, 0);
}

describe('the request ends once, when the raw response closes', () => {
  it('a hijacked reply is measured until the handler ends the raw response', async () => {
    const endDelayMs = 100;
    server = await startApp(telemetry, (app) => {
      app.get('/hijacked', (_request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/plain' });
        reply.raw.write('first ');
        setTimeout(() => reply.raw.end('last'), endDelayMs);
      });
    });

    const response = await fetch(`${server.url}/hijacked`);
    expect(await response.text()).toBe('first last');

    const span = onlySpan(await telemetry.waitForSpans(1), 'GET /hijacked');
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // Timers may fire a millisecond early; the span must still cover the handler's delay.
    expect(durationMs(span)).toBeGreaterThanOrEqual(endDelayMs - 5);
    expect(await durationCount('/hijacked')).toBe(1);
  });

  it('a streamed reply is measured to its last chunk, with its bytes counted', async () => {
    const frames = ['data: one\n\n', 'data: two\n\n', 'data: three\n\n'];
    const intervalMs = 40;
    server = await startApp(
      telemetry,
      (app) => {
        app.get('/events', (_request, reply) => {
          async function* paced() {
            for (const frame of frames) {
              await sleep(intervalMs);
              yield frame;
            }
          }
          reply.type('text/event-stream').send(Readable.from(paced()));
        });
      },
      { metrics: { responseBodySize: true } },
    );

    const response = await fetch(`${server.url}/events`);
    expect(await response.text()).toBe(frames.join(''));

    const span = onlySpan(await telemetry.waitForSpans(1), 'GET /events');
    expect(durationMs(span)).toBeGreaterThanOrEqual(frames.length * intervalMs - 5);
    const sizes = await telemetry.histogram('http.server.response.body.size');
    expect(sizes.map((point) => point.value.sum)).toEqual([Buffer.byteLength(frames.join(''))]);
  });

  it('a client that hangs up ends the span at once, and onRequestAbort can still reach it', async () => {
    let handlerFinished = false;
    const inAbortHook: { decorated?: string; active?: string } = {};
    server = await startApp(telemetry, (app) => {
      app.addHook('onRequestAbort', async (request) => {
        inAbortHook.decorated = request.otel?.span.spanContext().spanId;
        // Fastify runs this hook from the request's 'close' event, whose listeners run in the
        // request's context.
        inAbortHook.active = trace.getActiveSpan()?.spanContext().spanId;
      });
      app.get('/slow', async () => {
        await sleep(300);
        handlerFinished = true;
        return 'too late';
      });
    });

    const controller = new AbortController();
    const request = fetch(`${server.url}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(request).rejects.toThrow();

    const [span] = await telemetry.waitForSpans(1);
    expect(handlerFinished).toBe(false);
    expect(span?.name).toBe('GET /slow');
    expect(span?.attributes['error.type']).toBe(ERROR_TYPE_ABORTED);
    expect(span?.attributes['http.response.status_code']).toBeUndefined();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);

    // The handler's late answer must not end the request a second time.
    for (let i = 0; i < 50 && !handlerFinished; i++) await sleep(10);
    await sleep(20);
    expect(handlerFinished).toBe(true);
    expect(telemetry.spans()).toHaveLength(1);
    expect(await durationCount('/slow')).toBe(1);
    const spanId = span?.spanContext().spanId;
    expect(inAbortHook).toEqual({ decorated: spanId, active: spanId });
  });

  it('a connection timeout ends the span once, and onTimeout can still reach it', async () => {
    let timedOutSpanId: string | undefined;
    server = await startApp(
      telemetry,
      (app) => {
        app.addHook('onTimeout', async (request) => {
          timedOutSpanId = request.otel?.span.spanContext().spanId;
        });
        app.get('/stuck', async () => {
          await sleep(400);
          return 'too late';
        });
      },
      {},
      { connectionTimeout: 100 },
    );

    await expect(fetch(`${server.url}/stuck`)).rejects.toThrow();

    const [span] = await telemetry.waitForSpans(1);
    expect(span?.name).toBe('GET /stuck');
    expect(span?.attributes['error.type']).toBe(ERROR_TYPE_ABORTED);
    expect(span?.attributes['http.response.status_code']).toBeUndefined();
    for (let i = 0; i < 50 && timedOutSpanId === undefined; i++) await sleep(10);
    expect(timedOutSpanId).toBe(span?.spanContext().spanId);
    expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);

    await sleep(400);
    expect(telemetry.spans()).toHaveLength(1);
    expect(await durationCount('/stuck')).toBe(1);
  });

  it("Fastify's handler timeout is recorded as the error reply the client received", async () => {
    server = await startApp(telemetry, (app) => {
      app.get('/deadline', { handlerTimeout: 50 }, async () => {
        await sleep(200);
        return 'too late';
      });
    });

    const response = await fetch(`${server.url}/deadline`);
    await response.text();

    const span = onlySpan(await telemetry.waitForSpans(1), 'GET /deadline');
    expect(span.attributes['http.response.status_code']).toBe(response.status);
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('FastifyError');

    await sleep(250);
    expect(telemetry.spans()).toHaveLength(1);
  });

  it('app.inject() requests are recorded like network ones', async () => {
    server = await startApp(telemetry, (app) => {
      app.get('/users/:id', async () => ({ ok: true }));
    });

    const response = await server.app.inject('/users/1');
    expect(response.statusCode).toBe(200);

    const span = onlySpan(await telemetry.waitForSpans(1), 'GET /users/:id');
    expect(span.attributes['http.response.status_code']).toBe(200);
  });
});
