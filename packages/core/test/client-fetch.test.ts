import { once } from 'node:events';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClientInstrumentation, instrumentedFetch } from '../src/client/index.js';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
const reader = new TestReader();
const meterProvider = new MeterProvider({ readers: [reader] });
const tracer = tracerProvider.getTracer('test');

/** What the loopback server saw of each request. */
interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}
let seen: Seen[] = [];
let server: Server;
let base: string;
let closedPortUrl: string;

beforeAll(async () => {
  // The instrumentation uses the global propagator and context manager, as in an application.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      res.statusCode = status;
      res.end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just free and is closed again: connecting to it is refused.
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  closedPortUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/`;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  propagation.disable();
  context.disable();
});

afterEach(() => {
  exporter.reset();
  seen = [];
});

const fetchTraced = instrumentedFetch(undefined, { tracerProvider, meterProvider });

function onlySpan() {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

describe('instrumentedFetch', () => {
  it('makes a CLIENT span with the client conventions and sends its context', async () => {
    const response = await fetchTraced(`${base}/items/42?sig=secret&q=1`, {
      headers: { 'x-custom': 'kept' },
    });
    expect(await response.text()).toBe('ok');

    const span = onlySpan();
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.name).toBe('GET');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const port = Number(new URL(base).port);
    expect(span.attributes).toEqual({
      'http.request.method': 'GET',
      'url.full': `${base}/items/42?sig=REDACTED&q=1`,
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': 200,
    });

    const [request] = seen;
    const { traceId, spanId } = span.spanContext();
    expect(request?.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    expect(request?.headers['x-custom']).toBe('kept');
    // The real query goes out unredacted: redaction is for telemetry only.
    expect(request?.url).toBe('/items/42?sig=secret&q=1');
  });

  it('is a child of the active span and carries baggage', async () => {
    const parent = tracer.startSpan('parent');
    const bag = propagation.createBaggage({ tenant: { value: 'acme' } });
    const active = propagation.setBaggage(trace.setSpan(context.active(), parent), bag);
    await context.with(active, () => fetchTraced(`${base}/child`));
    parent.end();

    const client = exporter.getFinishedSpans().find((span) => span.kind === SpanKind.CLIENT)!;
    expect(client.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(client.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(seen[0]?.headers.baggage).toBe('tenant=acme');
  });

  it.each([
    [404, '404'],
    [500, '500'],
    [503, '503'],
  ])('marks a %i response as an error with error.type %s', async (status, type) => {
    const response = await fetchTraced(`${base}/fail?status=${status}`);
    expect(response.status).toBe(status);
    const span = onlySpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe(type);
    expect(span.attributes['http.response.status_code']).toBe(status);
  });

  it('leaves a 204 response unset', async () => {
    await fetchTraced(`${base}/empty?status=204`);
    const span = onlySpan();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('records a refused connection and rethrows the same error', async () => {
    let thrown: unknown;
    try {
      await fetchTraced(closedPortUrl);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    const span = onlySpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('ECONNREFUSED');
    expect(span.attributes['http.response.status_code']).toBeUndefined();
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('does not count an abort by the caller as an error (semantic conventions v1.44)', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(fetchTraced(`${base}/x`, { signal: controller.signal })).rejects.toThrow();
    const span = onlySpan();
    expect(span.attributes).not.toHaveProperty(['error.type']);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.events).toEqual([]);
  });

  it('takes method, headers and body from a Request', async () => {
    const request = new Request(`${base}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-from-request': 'yes' },
      body: '{"n":1}',
    });
    const response = await fetchTraced(request);
    expect(response.status).toBe(200);
    expect(onlySpan().attributes['http.request.method']).toBe('POST');
    expect(seen[0]).toMatchObject({ method: 'POST', body: '{"n":1}' });
    expect(seen[0]?.headers['x-from-request']).toBe('yes');
    expect(seen[0]?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('reports a method outside the known set as _OTHER', async () => {
    await fetchTraced(`${base}/cache`, { method: 'PURGE' });
    const span = onlySpan();
    expect(span.name).toBe('HTTP');
    expect(span.attributes['http.request.method']).toBe('_OTHER');
    expect(span.attributes['http.request.method_original']).toBe('PURGE');
    expect(seen[0]?.method).toBe('PURGE');
  });

  it('passes an unparsable URL through to fetch without a span', async () => {
    await expect(fetchTraced('not a url')).rejects.toThrow(TypeError);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('records http.client.request.duration with low-cardinality attributes', async () => {
    await fetchTraced(`${base}/metered?status=201&id=1`);
    await fetchTraced(`${base}/metered?status=201&id=2`);
    const { resourceMetrics }: CollectionResult = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((m) => m.descriptor.name === 'http.client.request.duration');
    expect(metric?.descriptor.unit).toBe('s');
    expect(metric?.dataPointType).toBe(DataPointType.HISTOGRAM);
    const point = metric?.dataPoints.find((p) => p.attributes['http.response.status_code'] === 201);
    if (point === undefined) throw new Error('no data point for status 201');
    expect(point.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(base).port),
      'http.response.status_code': 201,
    });
    const value = point.value as { count: number; buckets: { boundaries: number[] } };
    expect(value.count).toBe(2);
    expect(value.buckets.boundaries[0]).toBe(0.005);
  });
});

describe('createHttpClientInstrumentation with node:http', () => {
  it('gives the headers to send and ends with the status code', async () => {
    const client = createHttpClientInstrumentation({ tracerProvider, meterProvider });
    const handle = client.start({ method: 'GET', url: `${base}/plain` });
    expect(handle).toBeDefined();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(`${base}/plain`, { headers: { ...handle?.headers } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end();
    });
    handle?.end({ statusCode: status });
    handle?.end({ statusCode: 500 }); // idempotent: the first end counts

    const span = onlySpan();
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(seen[0]?.headers.traceparent).toBe(
      `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
    );
  });
});
