import { CheckTelemetry } from '@otel-http/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { onlySpan, startApp, type TestApp } from './telemetry.js';

let current: TestApp | undefined;
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

/**
 * A handler that sends twice behind a `preSerialization` hook: the first reply goes out (200),
 * the second fails inside Fastify after the head was written, and Fastify's error path then sets
 * `statusCode = 500` on the raw response although the client already has its 200.
 */
async function sendTwice(telemetry: CheckTelemetry, options = {}) {
  current = await startApp(
    telemetry,
    (app) => {
      app.addHook('preSerialization', async (_request, _reply, payload) => payload);
      app.get('/twice', (_request, reply) => {
        reply.send({ first: true });
        reply.send({ second: true });
      });
    },
    { ...options },
    { logger: false },
  );
  const response = await fetch(`${current.url}/twice`);
  return { status: response.status, body: await response.text() };
}

describe('the status Fastify changes after the head was sent', () => {
  it('records the status the client received, and the late error as an exception event only', async () => {
    const telemetry = new CheckTelemetry();
    expect(await sendTwice(telemetry)).toEqual({ status: 200, body: '{"first":true}' });

    const span = onlySpan(await telemetry.waitForSpans(1), 'GET /twice');
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.status.code).toBe(0);
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
    const [point] = await telemetry.histogram('http.server.request.duration');
    expect(point?.attributes['http.response.status_code']).toBe(200);
    expect(point?.attributes['error.type']).toBeUndefined();
  });

  it('records no exception event for it when exceptions are switched off', async () => {
    const telemetry = new CheckTelemetry();
    expect((await sendTwice(telemetry, { recordException: false })).status).toBe(200);

    const span = onlySpan(await telemetry.waitForSpans(1), 'GET /twice');
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(span.events).toEqual([]);
  });
});
