import { metrics, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeSpan,
  createServerInstrumentation,
  endOnFetchResponse,
  requestInfoFromFetch,
  traceFields,
  withSpan,
} from '../src/index.js';
import { createTelemetry, registerGlobals } from './harness.js';

let restoreGlobals: () => void;
beforeAll(() => {
  restoreGlobals = registerGlobals();
});
afterAll(() => restoreGlobals());

describe('requestInfoFromFetch', () => {
  it('reads method, scheme, path, query and headers, with the URL authority as fallback host', () => {
    const info = requestInfoFromFetch(
      new Request('https://api.example:8443/a/b?c=1', { headers: { 'User-Agent': 'ua' } }),
      { peerAddress: '10.1.1.1' },
    );
    expect(info).toMatchObject({
      method: 'GET',
      scheme: 'https',
      path: '/a/b',
      query: 'c=1',
      peerAddress: '10.1.1.1',
    });
    expect(info.header('user-agent')).toBe('ua');
    expect(info.header(':authority')).toBe('api.example:8443');
    expect(info.headerNames?.()).toEqual(['user-agent']);
  });
});

describe('endOnFetchResponse', () => {
  const start = (t: ReturnType<typeof createTelemetry>, options = {}) => {
    const handle = createServerInstrumentation({ ...t, ...options }).start(
      requestInfoFromFetch(new Request('http://localhost/stream')),
    );
    if (!handle) throw new Error('not started');
    return handle;
  };

  it('ends a body-less response at once', async () => {
    const t = createTelemetry();
    const handle = start(t);
    endOnFetchResponse(handle, new Response(null, { status: 204 }));
    expect(handle.ended).toBe(true);
    expect(t.spans()[0]?.attributes['http.response.status_code']).toBe(204);
  });

  it('ends a streamed body at its last chunk and counts the bytes', async () => {
    const t = createTelemetry();
    const handle = start(t, { metrics: { responseBodySize: true } });
    const encoder = new TextEncoder();
    let sent = 0;
    const source = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (sent === 3) return controller.close();
        controller.enqueue(encoder.encode(`data: ${sent++}\n\n`));
      },
    });
    const response = endOnFetchResponse(handle, new Response(source, { headers: { 'x-a': 'b' } }));
    expect(handle.ended).toBe(false);
    expect(response.headers.get('x-a')).toBe('b');
    const text = await response.text();
    expect(handle.ended).toBe(true);
    const [span] = t.spans();
    expect(span?.attributes['http.response.body.size']).toBe(encoder.encode(text).byteLength);
    expect((span?.duration[1] ?? 0) / 1e6 + (span?.duration[0] ?? 0) * 1000).toBeGreaterThanOrEqual(
      55,
    );
  });

  it('reports a cancelled stream as aborted', async () => {
    const t = createTelemetry();
    const handle = start(t);
    const source = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(8)),
    });
    const response = endOnFetchResponse(handle, new Response(source));
    const reader = response.body?.getReader();
    await reader?.read();
    await reader?.cancel('client went away');
    const [span] = t.spans();
    expect(span?.attributes['error.type']).toBe('aborted');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('helpers', () => {
  it('withSpan runs sync and async work in an active child span that always ends', async () => {
    const t = createTelemetry();
    const tracer = t.tracerProvider.getTracer('test');
    const parent = tracer.startSpan('parent');
    const result = await withSpan(
      'db.query',
      async (span) => {
        expect(activeSpan()).toBe(span);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return 42;
      },
      { tracer, attributes: { 'db.system.name': 'postgresql' } },
    );
    expect(result).toBe(42);
    expect(withSpan('sync', () => 'v', { tracer })).toBe('v');
    parent.end();
    const names = t.spans().map((span) => span.name);
    expect(names).toEqual(['db.query', 'sync', 'parent']);
    expect(t.spans()[0]?.attributes['db.system.name']).toBe('postgresql');
  });

  it('withSpan records and rethrows the same error, sync or async', async () => {
    const t = createTelemetry();
    const tracer = t.tracerProvider.getTracer('test');
    const error = new RangeError('nope');
    expect(() =>
      withSpan(
        'sync',
        () => {
          throw error;
        },
        { tracer },
      ),
    ).toThrow(error);
    await expect(withSpan('async', async () => Promise.reject(error), { tracer })).rejects.toBe(
      error,
    );
    for (const span of t.spans()) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe('RangeError');
      expect(span.events[0]?.name).toBe('exception');
    }
    expect(t.spans()).toHaveLength(2);
  });

  it('traceFields gives ids inside a span and nothing outside', () => {
    const t = createTelemetry();
    const tracer = t.tracerProvider.getTracer('test');
    expect(traceFields()).toEqual({});
    withSpan(
      'x',
      (span) => {
        expect(traceFields()).toEqual({
          trace_id: span.spanContext().traceId,
          span_id: span.spanContext().spanId,
          trace_flags: '01',
        });
      },
      { tracer },
    );
  });
});

describe('provider lookup', () => {
  it('uses a global meter provider registered after the middleware was created', async () => {
    const instrumentation = createServerInstrumentation();
    const t = createTelemetry();
    metrics.setGlobalMeterProvider(t.meterProvider);
    try {
      const handle = instrumentation.start(requestInfoFromFetch(new Request('http://localhost/')));
      handle?.end({ statusCode: 200 });
      expect(await t.histogramPoints('http.server.request.duration')).toHaveLength(1);
    } finally {
      metrics.disable();
    }
  });
});

describe('http.server.active_requests', () => {
  it('is one non-monotonic sum per attribute set, shared by middlewares on the same meter', async () => {
    const t = createTelemetry();
    const first = createServerInstrumentation(t);
    const second = createServerInstrumentation(t);
    const request = (method: string) =>
      requestInfoFromFetch(new Request('http://localhost/', { method }));
    const a = first.start(request('GET'));
    const b = second.start(request('GET'));
    const c = second.start(request('POST'));
    const metric = await t.metric('http.server.active_requests');
    expect(metric?.descriptor.unit).toBe('{request}');
    expect((metric as { isMonotonic?: boolean } | undefined)?.isMonotonic).toBe(false);
    const values = () =>
      t
        .metric('http.server.active_requests')
        .then((m) =>
          Object.fromEntries(
            (m?.dataPoints ?? []).map((point) => [
              point.attributes['http.request.method'],
              point.value,
            ]),
          ),
        );
    expect(await values()).toEqual({ GET: 2, POST: 1 });
    a?.end({ statusCode: 200 });
    b?.discard();
    c?.end({ statusCode: 201 });
    c?.end({ statusCode: 201 });
    expect(await values()).toEqual({ GET: 0, POST: 0 });
  });
});
