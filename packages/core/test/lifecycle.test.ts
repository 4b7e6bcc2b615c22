import { request as httpRequest } from 'node:http';
import {
  context,
  DiagLogLevel,
  diag,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { activeSpan, DURATION_BUCKETS_SECONDS, recordRequestError } from '../src/index.js';
import { createTelemetry, registerGlobals, startServer } from './harness.js';

let restoreGlobals: () => void;
beforeAll(() => {
  restoreGlobals = registerGlobals();
});
afterAll(() => restoreGlobals());

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

async function serve(
  options: Parameters<typeof startServer>[0],
  handler: Parameters<typeof startServer>[1],
) {
  const server = await startServer(options, handler);
  closers.push(server.close);
  return server;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe('server span', () => {
  it('starts a SERVER span with the attributes samplers need and names it from the route', async () => {
    const t = createTelemetry();
    const server = await serve(t, (_req, res, handle) => {
      handle?.setRoute('/users/:id');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const response = await fetch(`${server.url}/users/42?x=1&sig=secret`, {
      headers: { 'user-agent': 'test-agent/1.0' },
    });
    expect(response.status).toBe(200);
    const [span] = await t.waitForSpans(1);
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.name).toBe('GET /users/:id');
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/users/42',
      'url.query': 'x=1&sig=REDACTED',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'client.address': '127.0.0.1',
      'network.peer.address': '127.0.0.1',
      'network.protocol.version': '1.1',
      'user_agent.original': 'test-agent/1.0',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
    });
    expect(span?.attributes['error.type']).toBeUndefined();
    expect(JSON.stringify(span?.attributes)).not.toContain('secret');
  });

  // The whole rule table is in response-attributes.test.ts, without a server; these rows show
  // the rules reach the exported span and metric.
  it.each([
    { status: 400, error: true, expected: { code: SpanStatusCode.UNSET, type: undefined } },
    { status: 503, error: false, expected: { code: SpanStatusCode.ERROR, type: '503' } },
    { status: 500, error: true, expected: { code: SpanStatusCode.ERROR, type: 'TypeError' } },
  ])('status $status with error=$error → $expected', async ({ status, error, expected }) => {
    const t = createTelemetry();
    const server = await serve(t, (_req, res, handle) => {
      if (error) handle?.recordError(new TypeError('bad'));
      res.writeHead(status).end();
    });
    await fetch(`${server.url}/x`);
    const [span] = await t.waitForSpans(1);
    expect(span?.status.code).toBe(expected.code);
    expect(span?.attributes['error.type']).toBe(expected.type);
    expect(span?.attributes['http.response.status_code']).toBe(status);
    const exceptionEvents = span?.events.filter((event) => event.name === 'exception') ?? [];
    expect(exceptionEvents.length).toBe(expected.type === 'TypeError' ? 1 : 0);
    const [point] = await t.histogramPoints('http.server.request.duration');
    expect(point?.attributes['error.type']).toBe(expected.type);
  });

  it('lets code that handles an error itself report it to the request, from the active context', async () => {
    class InventoryError extends Error {}
    const t = createTelemetry();
    const server = await serve(t, async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      // an error middleware that answers instead of rethrowing
      expect(recordRequestError(new InventoryError('out of stock'))).toBe(true);
      res.writeHead(500).end();
    });
    await fetch(server.url);
    const [span] = await t.waitForSpans(1);
    expect(span?.attributes['error.type']).toBe('InventoryError');
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
    expect(recordRequestError(new Error('outside'))).toBe(false);
  });

  it('names unknown methods HTTP with _OTHER and keeps the original', async () => {
    const t = createTelemetry();
    const server = await serve(t, (_req, res) => void res.end());
    await new Promise<void>((resolve, reject) => {
      httpRequest(`${server.url}/x`, { method: 'PURGE' }, (res) => {
        res.resume().on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    const [span] = await t.waitForSpans(1);
    expect(span?.name).toBe('HTTP');
    expect(span?.attributes['http.request.method']).toBe('_OTHER');
    expect(span?.attributes['http.request.method_original']).toBe('PURGE');
  });

  it('honours a custom known-methods list', async () => {
    const t = createTelemetry();
    const server = await serve(
      { ...t, knownMethods: ['GET', 'PURGE'] },
      (_req, res) => void res.end(),
    );
    await new Promise<void>((resolve) => {
      httpRequest(`${server.url}/x`, { method: 'PURGE' }, (res) =>
        res.resume().on('end', resolve),
      ).end();
    });
    const [span] = await t.waitForSpans(1);
    expect(span?.attributes['http.request.method']).toBe('PURGE');
    expect(span?.name).toBe('PURGE');
  });

  it('makes the server span active in the handler, across awaits', async () => {
    const t = createTelemetry();
    let seen: string | undefined;
    const server = await serve(t, async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen = activeSpan()?.spanContext().spanId;
      res.end();
    });
    await fetch(server.url);
    const [span] = await t.waitForSpans(1);
    expect(seen).toBe(span?.spanContext().spanId);
  });
});

describe('propagation', () => {
  it('continues a valid remote parent and exposes baggage', async () => {
    const t = createTelemetry();
    let baggage: string | undefined;
    const server = await serve(t, (_req, res) => {
      baggage = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
      res.end();
    });
    await fetch(server.url, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'tenant=acme' },
    });
    const [span] = await t.waitForSpans(1);
    expect(span?.spanContext().traceId).toBe(TRACE_ID);
    expect(span?.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(baggage).toBe('acme');
  });

  it('with trustRemoteContext false: new trace, a link to the caller, no caller baggage, no forced sampling', async () => {
    const t = createTelemetry(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }));
    let baggage: string | undefined = 'unset';
    const server = await serve({ ...t, trustRemoteContext: false }, (_req, res) => {
      baggage = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
      res.end();
    });
    await fetch(server.url, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'tenant=acme' },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // sampled=1 from the caller did not force sampling: the ratio-0 root sampler dropped it.
    expect(t.spans()).toHaveLength(0);
    expect(baggage).toBeUndefined();

    const t2 = createTelemetry();
    const server2 = await serve(
      { ...t2, trustRemoteContext: () => false },
      (_req, res) => void res.end(),
    );
    await fetch(server2.url, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
    const [span] = await t2.waitForSpans(1);
    expect(span?.spanContext().traceId).not.toBe(TRACE_ID);
    expect(span?.parentSpanContext).toBeUndefined();
    expect(span?.links[0]?.context).toMatchObject({ traceId: TRACE_ID, spanId: PARENT_ID });
  });

  it('ignores a malformed traceparent and starts a new trace', async () => {
    const t = createTelemetry();
    const server = await serve(t, (_req, res) => void res.end('ok'));
    const response = await fetch(server.url, {
      headers: { traceparent: `00-${'0'.repeat(32)}-${PARENT_ID}-01` },
    });
    expect(response.status).toBe(200);
    const [span] = await t.waitForSpans(1);
    expect(span?.spanContext().traceId).not.toBe('0'.repeat(32));
    expect(span?.parentSpanContext).toBeUndefined();
  });
});

describe('the request context', () => {
  it('behaves as an ordinary context: child spans, baggage, a removed span, the handle', async () => {
    const t = createTelemetry();
    const seen: Record<string, unknown> = {};
    const server = await serve(t, (_req, res, handle) => {
      const active = context.active();
      seen.server = trace.getSpan(active) === handle?.span;
      seen.remoteBaggage = propagation.getBaggage(active)?.getEntry('tenant')?.value;
      // Deriving contexts from it: a child span, baggage, a context without the span.
      const child = t.tracerProvider.getTracer('test').startSpan('child', {}, active);
      const withChild = trace.setSpan(active, child);
      seen.childActive = trace.getSpan(withChild) === child;
      seen.handleKept = recordRequestError(new Error('reported'), withChild);
      const baggage = propagation.createBaggage({ step: { value: 'two' } });
      const withBaggage = propagation.setBaggage(active, baggage);
      seen.baggage = propagation.getBaggage(withBaggage)?.getEntry('step')?.value;
      seen.spanKeptWithBaggage = trace.getSpan(withBaggage) === handle?.span;
      seen.withoutSpan = trace.getSpan(trace.deleteSpan(active));
      child.end();
      res.writeHead(500).end();
    });
    await fetch(server.url, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'tenant=acme' },
    });
    const spans = await t.waitForSpans(2);
    const serverSpan = spans.find((span) => span.kind === SpanKind.SERVER);
    const child = spans.find((span) => span.name === 'child');
    expect(seen).toEqual({
      server: true,
      remoteBaggage: 'acme',
      childActive: true,
      handleKept: true,
      baggage: 'two',
      spanKeptWithBaggage: true,
      withoutSpan: undefined,
    });
    expect(child?.parentSpanContext?.spanId).toBe(serverSpan?.spanContext().spanId);
    expect(serverSpan?.attributes['error.type']).toBe('Error');
  });

  it('with tracing off, the caller’s span stays active for outgoing calls', async () => {
    const t = createTelemetry();
    let active: string | undefined;
    let reported = false;
    const server = await serve({ ...t, tracing: false }, (_req, res) => {
      active = trace.getSpan(context.active())?.spanContext().spanId;
      reported = recordRequestError(new Error('x'));
      res.end();
    });
    await fetch(server.url, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(active).toBe(PARENT_ID);
    expect(reported).toBe(true);
  });
});

describe('end of the request', () => {
  it('reports a client that hangs up as aborted, once, with no status when none was sent', async () => {
    const t = createTelemetry();
    const server = await serve(t, async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      res.end('late');
    });
    const controller = new AbortController();
    const pending = fetch(server.url, { signal: controller.signal }).catch(() => undefined);
    setTimeout(() => controller.abort(), 50);
    await pending;
    const [span] = await t.waitForSpans(1, 250);
    expect(span).toBeDefined();
    expect(span?.attributes['error.type']).toBe('aborted');
    expect(span?.attributes['http.response.status_code']).toBeUndefined();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(t.spans()).toHaveLength(1);
    const active = await t.metric('http.server.active_requests');
    expect(active?.dataPoints.reduce((sum, point) => sum + (point.value as number), 0)).toBe(0);
  });

  it('measures a streamed body to its last byte and counts its bytes', async () => {
    const t = createTelemetry();
    const server = await serve({ ...t, metrics: { responseBodySize: true } }, async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        res.write(`data: ${i}\n\n`);
      }
      res.end();
    });
    const body = await (await fetch(server.url)).text();
    const [span] = await t.waitForSpans(1);
    const durationMs = (span?.duration[0] ?? 0) * 1000 + (span?.duration[1] ?? 0) / 1e6;
    expect(durationMs).toBeGreaterThanOrEqual(110);
    expect(span?.attributes['http.response.body.size']).toBe(Buffer.byteLength(body));
    const [size] = await t.histogramPoints('http.server.response.body.size');
    expect(size?.value.sum).toBe(Buffer.byteLength(body));
    const [duration] = await t.histogramPoints('http.server.request.duration');
    expect(Math.abs((duration?.value.sum ?? 0) * 1000 - durationMs)).toBeLessThan(1);
  });
});

describe('metrics', () => {
  it('records duration with advised buckets and only the allowed attributes, whatever the sampler', async () => {
    const t = createTelemetry(new AlwaysOffSampler());
    const server = await serve(t, (_req, res, handle) => {
      handle?.setRoute('/users/:id');
      res.end();
    });
    await fetch(`${server.url}/users/1?q=2`, { headers: { 'user-agent': 'x' } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.spans()).toHaveLength(0);
    const metric = await t.metric('http.server.request.duration');
    expect(metric?.descriptor.unit).toBe('s');
    const [point] = (metric?.dataPoints ?? []) as Array<{
      attributes: object;
      value: { buckets: { boundaries: number[] } };
    }>;
    expect(point?.value.buckets.boundaries).toEqual(DURATION_BUCKETS_SECONDS);
    expect(point?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'http.route': '/users/:id',
      'network.protocol.version': '1.1',
    });
  });

  it('records metrics only with tracing off, and still propagates the caller context', async () => {
    const t = createTelemetry();
    let traceId: string | undefined;
    const server = await serve({ ...t, tracing: false }, (_req, res) => {
      traceId = trace.getActiveSpan()?.spanContext().traceId;
      res.end();
    });
    await fetch(server.url, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.spans()).toHaveLength(0);
    expect(traceId).toBe(TRACE_ID);
    expect(await t.histogramPoints('http.server.request.duration')).toHaveLength(1);
  });

  it('emits old names next to the stable ones in dup mode', async () => {
    const t = createTelemetry();
    const server = await serve({ ...t, semconvStability: 'dup' }, (_req, res) => void res.end());
    await fetch(`${server.url}/a?b=c`);
    const [span] = await t.waitForSpans(1);
    expect(span?.attributes).toMatchObject({
      'http.method': 'GET',
      'http.request.method': 'GET',
      'http.status_code': 200,
      'http.target': '/a?b=c',
      'http.flavor': '1.1',
    });
    expect(await t.histogramPoints('http.server.duration')).toHaveLength(1);
  });
});

describe('options and hostile user code', () => {
  it('ignores requests by path, regular expression or predicate', async () => {
    const t = createTelemetry();
    const server = await serve(
      { ...t, ignore: ['/health', /^\/internal\//g] },
      (_req, res) => void res.end(),
    );
    await fetch(`${server.url}/health`);
    await fetch(`${server.url}/internal/a`);
    await fetch(`${server.url}/internal/b`);
    await fetch(`${server.url}/kept`);
    const spans = await t.waitForSpans(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(spans.map((span) => span.attributes['url.path'])).toEqual(['/kept']);
    const points = await t.histogramPoints('http.server.request.duration');
    expect(points.reduce((n, p) => n + p.value.count, 0)).toBe(1);
  });

  it('contains throwing hooks and bad overrides, and reports them to the diagnostic logger', async () => {
    const t = createTelemetry();
    const errors: unknown[] = [];
    diag.setLogger(
      { error: (...args) => errors.push(args), warn() {}, info() {}, debug() {}, verbose() {} },
      { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true },
    );
    try {
      const server = await serve(
        {
          ...t,
          requestHook: () => {
            throw new Error('hook');
          },
          responseHook: () => {
            throw new Error('hook');
          },
          ignore: () => {
            throw new Error('ignore');
          },
          spanName: () => 42 as unknown as string,
          route: () => 'r'.repeat(10_000),
        },
        (_req, res) => void res.end('fine'),
      );
      const response = await fetch(server.url);
      expect(await response.text()).toBe('fine');
      const [span] = await t.waitForSpans(1);
      // the non-string span name falls back to the default name, built from the cut route
      expect(span?.name).toBe(`GET ${'r'.repeat(256)}`);
      expect(span?.attributes['http.route']).toHaveLength(256);
      expect(errors.length).toBeGreaterThanOrEqual(3);
    } finally {
      diag.disable();
    }
  });

  it('survives a diagnostic logger that throws while reporting a throwing hook', async () => {
    const t = createTelemetry();
    const explode = () => {
      throw new Error('logger down');
    };
    diag.setLogger(
      { error: explode, warn: explode, info() {}, debug() {}, verbose() {} },
      // (the API's own registration messages are debug-level)
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    try {
      const server = await serve(
        {
          ...t,
          requestHook: () => {
            throw new Error('hook');
          },
        },
        (_req, res) => void res.end('fine'),
      );
      const response = await fetch(server.url);
      expect(await response.text()).toBe('fine');
      expect(await t.waitForSpans(1)).toHaveLength(1);
    } finally {
      diag.disable();
    }
  });

  it('captures allowed headers as string arrays and redacts credentials even when listed', async () => {
    const t = createTelemetry();
    const server = await serve(
      {
        ...t,
        captureRequestHeaders: ['X-Request-Id', 'authorization', 'cookie'],
        captureResponseHeaders: ['x-served-by', 'set-cookie'],
      },
      (_req, res) => {
        res.setHeader('x-served-by', 'node-1');
        res.setHeader('set-cookie', 'session=hunter2');
        res.end();
      },
    );
    await fetch(server.url, {
      headers: { 'x-request-id': 'abc', authorization: 'Bearer hunter2', cookie: 'a=hunter2' },
    });
    const [span] = await t.waitForSpans(1);
    expect(span?.attributes['http.request.header.x-request-id']).toEqual(['abc']);
    expect(span?.attributes['http.request.header.authorization']).toEqual(['REDACTED']);
    expect(span?.attributes['http.request.header.cookie']).toEqual(['REDACTED']);
    expect(span?.attributes['http.response.header.x-served-by']).toEqual(['node-1']);
    expect(span?.attributes['http.response.header.set-cookie']).toEqual(['REDACTED']);
    expect(JSON.stringify(span?.attributes)).not.toContain('hunter2');
  });

  it('captures response headers given straight to writeHead, in every shape', async () => {
    const t = createTelemetry();
    const shapes: Record<string, Parameters<import('node:http').ServerResponse['writeHead']>[1]> = {
      '/object': { 'X-Served-By': 'node-1' },
      '/pairs': [['x-served-by', 'node-1']] as unknown as string[],
      '/flat': ['X-Served-By', 'node-1'],
    };
    const server = await serve({ ...t, captureResponseHeaders: ['x-served-by'] }, (req, res) => {
      res.writeHead(200, shapes[req.url ?? ''] as never).end();
    });
    for (const path of Object.keys(shapes)) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.headers.get('x-served-by')).toBe('node-1');
    }
    const spans = await t.waitForSpans(3);
    expect(spans.map((span) => span.attributes['http.response.header.x-served-by'])).toEqual([
      ['node-1'],
      ['node-1'],
      ['node-1'],
    ]);
  });

  it('uses forwarded headers only when proxies are trusted', async () => {
    const headers = {
      forwarded: 'for="[2001:db8::1]:4711";host=shop.example:8443;proto=https',
      'x-forwarded-for': '203.0.113.9',
    };
    const untrusted = createTelemetry();
    const a = await serve(untrusted, (_req, res) => void res.end());
    await fetch(a.url, { headers });
    const [plain] = await untrusted.waitForSpans(1);
    expect(plain?.attributes).toMatchObject({
      'client.address': '127.0.0.1',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
    });

    const trusted = createTelemetry();
    const b = await serve({ ...trusted, trustProxy: true }, (_req, res) => void res.end());
    await fetch(b.url, { headers });
    const [viaProxy] = await trusted.waitForSpans(1);
    expect(viaProxy?.attributes).toMatchObject({
      'client.address': '2001:db8::1',
      'url.scheme': 'https',
      'server.address': 'shop.example',
      'server.port': 8443,
      'network.peer.address': '127.0.0.1',
    });
  });

  it('adds the trace response header only when asked', async () => {
    const off = createTelemetry();
    const a = await serve(off, (_req, res) => void res.end());
    expect((await fetch(a.url)).headers.get('traceparent')).toBeNull();

    const on = createTelemetry();
    const b = await serve({ ...on, traceResponseHeader: 'server-timing' }, (_req, res) => {
      res.end();
    });
    const header = (await fetch(b.url)).headers.get('server-timing');
    const [span] = await on.waitForSpans(1);
    expect(header).toBe(
      `trace;desc=00-${span?.spanContext().traceId}-${span?.spanContext().spanId}-01`,
    );
  });
});
