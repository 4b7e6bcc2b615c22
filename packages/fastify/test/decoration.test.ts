import { context, propagation, ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';
import { CheckTelemetry, sleep } from '@otel-http/conformance';
import Fastify, { type FastifyContextConfig, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { otel, type RequestTelemetry } from '../src/index.js';
import { onlySpan, startApp, type TestApp } from './telemetry.js';

const telemetry = new CheckTelemetry();
const tracer = telemetry.options.tracerProvider?.getTracer('app') ?? trace.getTracer('app');
let server: TestApp | undefined;

afterEach(async () => {
  await server?.app.close();
  server = undefined;
  telemetry.exporter.reset();
});

/** Runs `fn` on a later turn with the async context dropped, as some pooled clients do. */
function runDetached(fn: () => void): void {
  context.with(ROOT_CONTEXT, () => setImmediate(fn));
}

describe('request.otel', () => {
  it('is typed as the span and context, or undefined; route config takes a boolean', async () => {
    expectTypeOf<FastifyRequest['otel']>().toEqualTypeOf<RequestTelemetry | undefined>();
    expectTypeOf<RequestTelemetry['span']>().toEqualTypeOf<Span>();
    expectTypeOf<FastifyContextConfig['otel']>().toEqualTypeOf<boolean | undefined>();

    // The same plugin and options register on HTTP/1 and HTTP/2 instances alike.
    const http1 = Fastify();
    await http1.register(otel, { ...telemetry.options, traceResponseHeader: 'traceparent' });
    const http2 = Fastify({ http2: true });
    await http2.register(otel, telemetry.options);
    http2.get('/off', { config: { otel: false } }, async (request) => request.otel === undefined);
    await Promise.all([http1.ready(), http2.ready()]);
    await Promise.all([http1.close(), http2.close()]);
  });

  it('reaches the server span from inside a child span', async () => {
    server = await startApp(telemetry, (app) => {
      app.post('/orders', async (request, reply) => {
        await tracer.startActiveSpan('validate', async (child) => {
          await sleep(1);
          // The active span is the child here; the tenant belongs on the request's span.
          request.otel?.span.setAttribute('app.tenant', 'acme');
          child.end();
        });
        reply.code(201);
        return { created: true };
      });
    });

    expect((await fetch(`${server.url}/orders`, { method: 'POST' })).status).toBe(201);

    const spans = await telemetry.waitForSpans(2);
    expect(onlySpan(spans, 'POST /orders').attributes['app.tenant']).toBe('acme');
    expect(onlySpan(spans, 'validate').attributes['app.tenant']).toBeUndefined();
  });

  it('restores the request context in callbacks that lost it', async () => {
    const injected: Record<string, string> = {};
    server = await startApp(telemetry, (app) => {
      app.get('/report', (request, reply) => {
        runDetached(() => {
          const lost = trace.getActiveSpan();
          const telemetryOfRequest = request.otel;
          if (lost !== undefined || telemetryOfRequest === undefined) {
            reply.code(500).send('the test setup did not drop the context');
            return;
          }
          context.with(telemetryOfRequest.context, () => {
            tracer.startSpan('render').end();
            propagation.inject(context.active(), injected);
          });
          reply.send('done');
        });
      });
    });

    const response = await fetch(`${server.url}/report`);
    expect(await response.text()).toBe('done');

    const spans = await telemetry.waitForSpans(2);
    const serverSpan = onlySpan(spans, 'GET /report').spanContext();
    expect(onlySpan(spans, 'render').parentSpanContext?.spanId).toBe(serverSpan.spanId);
    expect(injected.traceparent).toBe(`00-${serverSpan.traceId}-${serverSpan.spanId}-01`);
  });
});
