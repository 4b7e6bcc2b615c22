import { trace } from '@opentelemetry/api';
import { CheckTelemetry } from '@otel-http/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { onlySpan, startApp, type TestApp } from './telemetry.js';

const telemetry = new CheckTelemetry();
let server: TestApp | undefined;
afterEach(async () => {
  await server?.app.close();
  server = undefined;
  telemetry.exporter.reset();
});

/**
 * Each route reports which span was active in a listener of the raw request's 'close', which Node
 * emits from the socket, outside the context the handler ran in.
 */
async function start() {
  const seen: Record<string, string | undefined> = {};
  server = await startApp(telemetry, (app) => {
    const watch = (name: string) => (request: { raw: NodeJS.EventEmitter }) => {
      request.raw.on('close', () => {
        seen[name] = trace.getActiveSpan()?.spanContext().spanId ?? 'none';
      });
      return { ok: true };
    };
    app.get('/users/:id', watch('instrumented'));
    app.get('/metrics', { config: { otel: false } }, watch('opted-out'));
  });
  return seen;
}

describe('listeners of the raw request and response', () => {
  it("run in the request's context", async () => {
    const seen = await start();
    expect((await fetch(`${server?.url}/users/1`)).status).toBe(200);
    const span = onlySpan(await telemetry.waitForSpans(1), 'GET /users/:id');
    for (let i = 0; i < 50 && seen.instrumented === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seen.instrumented).toBe(span.spanContext().spanId);
  });

  it('of a route that opted out see no span: its span is never exported', async () => {
    const seen = await start();
    expect((await fetch(`${server?.url}/metrics`)).status).toBe(200);
    for (let i = 0; i < 50 && seen['opted-out'] === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seen['opted-out']).toBe('none');
    expect(telemetry.spans()).toEqual([]);
  });
});
