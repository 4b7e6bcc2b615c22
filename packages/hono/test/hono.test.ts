import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { CheckTelemetry, registerGlobals } from '@otel-http/conformance';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { otel } from '../src/index.js';
import { fetchOnly, type OpenApp, type RunnableApp, runtimes } from './runtimes.js';
import { durationSeries, eventually } from './telemetry.js';

// The async-hooks context manager carries the server span across awaits (as on Node, Bun, Deno and
// Workers with Node compatibility); each test registers it afresh with its own SDK.
let telemetry: CheckTelemetry;
let unregisterGlobals: () => void;
let opened: OpenApp[] = [];

beforeEach(() => {
  unregisterGlobals = registerGlobals();
  telemetry = new CheckTelemetry();
});

afterEach(async () => {
  await Promise.all(opened.map((app) => app.close()));
  opened = [];
  await telemetry.shutdown();
  unregisterGlobals();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The one ended span of a request path (fails the test if there is not exactly one). */
async function spanOf(path: string): Promise<ReadableSpan> {
  await eventually(() =>
    telemetry.exporter.getFinishedSpans().some((span) => span.attributes['url.path'] === path),
  );
  const found = telemetry.exporter
    .getFinishedSpans()
    .filter((span) => span.attributes['url.path'] === path);
  expect(found, `spans of ${path}`).toHaveLength(1);
  return found[0] as ReadableSpan;
}

/**
 * Sends a request and reads the whole body, as every real server does: on the Fetch path the
 * request ends only when its body has been consumed.
 */
async function send(app: OpenApp, path: string, init?: RequestInit) {
  const response = await app.request(path, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

/** The routes on the duration metric, by status code. */
async function metricRoutes(): Promise<Array<[unknown, unknown]>> {
  const series = await durationSeries(telemetry);
  return series
    .map(({ attributes }): [unknown, unknown] => [
      attributes['http.response.status_code'],
      attributes['http.route'],
    ])
    .sort((a, b) => Number(a[0]) - Number(b[0]));
}

describe.each(runtimes)('on $name', (runtime) => {
  async function open(app: RunnableApp): Promise<OpenApp> {
    const running = await runtime.open(app);
    opened.push(running);
    return running;
  }

  it('reports the route with the basePath and app.route() prefixes, and none on a 404', async () => {
    const app = new Hono().basePath('/v2');
    app.use(otel(telemetry.options));
    const admin = new Hono();
    admin.get('/users/:id', (c) => c.text(`user ${c.req.param('id')}`));
    app.route('/admin', admin);
    const server = await open(app);

    expect((await send(server, '/v2/admin/users/7')).text).toBe('user 7');
    expect((await send(server, '/v2/admin/nope')).status).toBe(404);

    const found = await spanOf('/v2/admin/users/7');
    expect(found.name).toBe('GET /v2/admin/users/:id');
    expect(found.attributes['http.route']).toBe('/v2/admin/users/:id');
    const missing = await spanOf('/v2/admin/nope');
    expect(missing.name).toBe('GET');
    expect(missing.attributes).not.toHaveProperty('http.route');
    expect(await metricRoutes()).toEqual([
      [200, '/v2/admin/users/:id'],
      [404, undefined],
    ]);
  });

  it("never takes a middleware's pattern for the route", async () => {
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.use('/admin/*', async (c, next) => {
      if (c.req.header('x-token') !== 'let-me-in') return c.text('no', 401);
      await next();
    });
    app.get('/admin/stats', (c) => c.json({ requests: 1 }));
    const server = await open(app);

    expect(
      (await send(server, '/admin/stats', { headers: { 'x-token': 'let-me-in' } })).status,
    ).toBe(200);
    expect((await send(server, '/admin/stats?denied')).status).toBe(401);
    expect((await send(server, '/admin/unknown')).status).toBe(401);

    const spans = await telemetry.waitForSpans(3);
    expect(spans.map((span) => [span.name, span.attributes['http.route']])).toEqual([
      ['GET /admin/stats', '/admin/stats'],
      // The middleware answered before the handler, but Hono had routed the request to it.
      ['GET /admin/stats', '/admin/stats'],
      // Only the middleware matched: no route.
      ['GET', undefined],
    ]);
  });

  it('lets routeFromContext override the route for span and metric', async () => {
    type RpcEnv = { Variables: { procedure: string } };
    const procedures = new Set(['getUser', 'listUsers']);
    const seen: Array<string | undefined> = [];
    const app = new Hono<RpcEnv>();
    app.use(
      otel<RpcEnv>({
        ...telemetry.options,
        routeFromContext: (c, matched) => {
          seen.push(matched);
          const procedure = c.get('procedure');
          return procedure === undefined ? matched : `/rpc/${procedure}`;
        },
      }),
    );
    app.post('/rpc/*', async (c) => {
      const { method } = await c.req.json<{ method: string }>();
      if (procedures.has(method)) c.set('procedure', method);
      return c.json({ ok: true });
    });
    const server = await open(app);

    const call = (method: string) =>
      send(server, '/rpc', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method }),
      });
    expect((await call('getUser')).status).toBe(200);
    expect((await call('somethingElse')).status).toBe(200);

    const spans = await telemetry.waitForSpans(2);
    expect(spans.map((span) => [span.name, span.attributes['http.route']])).toEqual([
      ['POST /rpc/getUser', '/rpc/getUser'],
      ['POST /rpc/*', '/rpc/*'],
    ]);
    expect(seen).toEqual(['/rpc/*', '/rpc/*']);
    const routes = (await durationSeries(telemetry)).map(
      ({ attributes }) => attributes['http.route'],
    );
    expect(routes.sort()).toEqual(['/rpc/*', '/rpc/getUser']);
  });

  it('keeps the matched route and the response when routeFromContext throws', async () => {
    const app = new Hono();
    app.use(
      otel({
        ...telemetry.options,
        routeFromContext: () => {
          throw new Error('broken override');
        },
      }),
    );
    app.get('/items/:id', (c) => c.text('item'));
    const server = await open(app);

    const response = await server.request('/items/3');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('item');
    expect((await spanOf('/items/3')).attributes['http.route']).toBe('/items/:id');
  });

  it('cuts an overlong routeFromContext result to 256 characters, as core cuts its overrides', async () => {
    const app = new Hono();
    app.use(otel({ ...telemetry.options, routeFromContext: () => `/${'r'.repeat(10_000)}` }));
    app.get('/items/:id', (c) => c.text('item'));
    const server = await open(app);

    expect((await send(server, '/items/3')).text).toBe('item');
    const span = await spanOf('/items/3');
    const cut = `/${'r'.repeat(255)}`;
    expect(span.attributes['http.route']).toBe(cut);
    expect(span.name).toBe(`GET ${cut}`);
    const routes = (await durationSeries(telemetry)).map(
      ({ attributes }) => attributes['http.route'],
    );
    expect(routes).toEqual([cut]);
  });

  it('leaves an HTTPException with a 4xx UNSET, and marks one with a 5xx as an error', async () => {
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.get('/private', () => {
      throw new HTTPException(401, { message: 'log in first' });
    });
    app.get('/upstream', () => {
      throw new HTTPException(504, { message: 'upstream timed out' });
    });
    const server = await open(app);

    const denied = await server.request('/private');
    expect(denied.status).toBe(401);
    expect(await denied.text()).toBe('log in first');
    expect((await send(server, '/upstream')).status).toBe(504);

    const unauthorized = await spanOf('/private');
    expect(unauthorized.status.code).toBe(SpanStatusCode.UNSET);
    expect(unauthorized.attributes['http.response.status_code']).toBe(401);
    expect(unauthorized.attributes).not.toHaveProperty('error.type');
    expect(unauthorized.attributes['http.route']).toBe('/private');

    const timedOut = await spanOf('/upstream');
    expect(timedOut.status.code).toBe(SpanStatusCode.ERROR);
    expect(timedOut.attributes['error.type']).toBe('HTTPException');
    expect(timedOut.events.map((event) => event.name)).toEqual(['exception']);
  });

  it("records errors app.onError handled, with the final response's status", async () => {
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.onError((error, c) =>
      error instanceof RangeError
        ? c.json({ recovered: true }, 200)
        : c.json({ error: error.message }, 502),
    );
    app.get('/broken', () => {
      throw new TypeError('no such thing');
    });
    app.get('/recovered', () => {
      throw new RangeError('out of range');
    });
    const api = new Hono();
    api.onError((_error, c) => c.text('api failure', 500));
    api.get('/boom', async () => {
      await sleep(1);
      throw new SyntaxError('api');
    });
    app.route('/api', api);
    const server = await open(app);

    expect((await send(server, '/broken')).status).toBe(502);
    expect((await send(server, '/recovered')).status).toBe(200);
    const apiResponse = await server.request('/api/boom');
    expect([apiResponse.status, await apiResponse.text()]).toEqual([500, 'api failure']);

    const broken = await spanOf('/broken');
    expect(broken.attributes['http.response.status_code']).toBe(502);
    expect(broken.attributes['error.type']).toBe('TypeError');
    expect(broken.status.code).toBe(SpanStatusCode.ERROR);
    expect(broken.events[0]?.attributes?.['exception.message']).toBe('no such thing');

    const recovered = await spanOf('/recovered');
    expect(recovered.attributes['http.response.status_code']).toBe(200);
    expect(recovered.status.code).toBe(SpanStatusCode.UNSET);
    expect(recovered.attributes).not.toHaveProperty('error.type');

    const nested = await spanOf('/api/boom');
    expect(nested.attributes['http.route']).toBe('/api/boom');
    expect(nested.attributes['error.type']).toBe('SyntaxError');
  });

  it('ends a streamSSE response at its last chunk, counting its bytes', async () => {
    const endedBeforeLastWrite: number[] = [];
    const app = new Hono();
    app.use(otel({ ...telemetry.options, metrics: { responseBodySize: true } }));
    app.get('/events', (c) =>
      streamSSE(c, async (stream) => {
        for (let i = 0; i < 3; i++) {
          await sleep(20);
          if (i === 2) endedBeforeLastWrite.push(telemetry.exporter.getFinishedSpans().length);
          await stream.writeSSE({ data: `tick-${i}` });
        }
      }),
    );
    const server = await open(app);

    const response = await server.request('/events');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const first = await reader.read();
    text += decoder.decode(first.value, { stream: true });
    // Handler returned long ago; the body is still being written.
    expect(telemetry.exporter.getFinishedSpans()).toHaveLength(0);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += decoder.decode(chunk.value, { stream: true });
    }
    expect(text).toBe('data: tick-0\n\ndata: tick-1\n\ndata: tick-2\n\n');

    const span = await spanOf('/events');
    expect(endedBeforeLastWrite).toEqual([0]);
    expect(span.name).toBe('GET /events');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['http.response.body.size']).toBe(new TextEncoder().encode(text).length);
    expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);
  });

  it('ends a streamSSE response once when the client cancels it mid-stream', async () => {
    let abortedStreams = 0;
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.get('/events', (c) =>
      streamSSE(
        c,
        async (stream) => {
          stream.onAbort(() => {
            abortedStreams++;
          });
          for (let i = 0; i < 50 && !stream.aborted; i++) {
            await stream.writeSSE({ data: `tick-${i}` });
            await sleep(20);
          }
        },
        async () => {},
      ),
    );
    const server = await open(app);

    const controller = new AbortController();
    const response = await server.request('/events', { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).done).toBe(false);
    // Over a socket the client hangs up; without one the consumer cancels the body.
    if (runtime === fetchOnly) await reader.cancel();
    else controller.abort();

    const span = await spanOf('/events');
    expect(span.attributes['error.type']).toBe('aborted');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['http.route']).toBe('/events');
    expect(await eventually(() => abortedStreams === 1)).toBe(true);
    expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);
    await sleep(60);
    expect(telemetry.exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('marks a body stream that fails after its first chunk as a failed request (aborted)', async () => {
    const app = new Hono();
    app.use(otel({ ...telemetry.options, metrics: { responseBodySize: true } }));
    app.get('/export', (c) => {
      let pulls = 0;
      const failing = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulls++ === 0) controller.enqueue(new TextEncoder().encode('first rows'));
          else controller.error(new RangeError('the export broke'));
        },
      });
      return c.body(failing, 200, { 'content-type': 'text/csv' });
    });
    const server = await open(app);

    const response = await server.request('/export');
    expect(response.status).toBe(200);
    // The client sees the body fail, not end: a truncated response.
    await expect(response.text()).rejects.toThrow();

    const span = await spanOf('/export');
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(span.attributes['error.type']).toBe('aborted');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['http.route']).toBe('/export');
    const exception = span.events.find((event) => event.name === 'exception');
    expect(exception?.attributes?.['exception.type']).toBe('RangeError');
    // A Fetch body counts what the client read before it broke; a destroyed Node response gives
    // no size (what it wrote is not what the client got).
    const size = span.attributes['http.response.body.size'];
    expect(size).toBe(runtime.name.startsWith('node') ? undefined : 'first rows'.length);
    expect(await metricRoutes()).toEqual([[200, '/export']]);
    const [series] = await durationSeries(telemetry);
    expect(series?.attributes['error.type']).toBe('aborted');
    expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);
  });

  it('puts the trace response header on the final response', async () => {
    const app = new Hono();
    app.use(otel({ ...telemetry.options, traceResponseHeader: 'traceparent' }));
    app.onError((_error, c) => c.text('replaced by onError', 500));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.get('/elsewhere', () => Response.redirect('http://example.com/', 302));
    const server = await open(app);

    const failed = await server.request('/boom');
    expect(await failed.text()).toBe('replaced by onError');
    const { traceId, spanId } = (await spanOf('/boom')).spanContext();
    expect(failed.headers.get('traceparent')).toBe(`00-${traceId}-${spanId}-01`);

    // A Response.redirect() has immutable headers: the header still gets there.
    const redirected = await send(server, '/elsewhere', { redirect: 'manual' });
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get('location')).toBe('http://example.com/');
    const moved = (await spanOf('/elsewhere')).spanContext();
    expect(redirected.headers.get('traceparent')).toBe(`00-${moved.traceId}-${moved.spanId}-01`);
  });

  it("appends the trace to the application's own Server-Timing", async () => {
    const app = new Hono();
    app.use(otel({ ...telemetry.options, traceResponseHeader: 'server-timing' }));
    app.get('/timed', (c) => {
      c.header('Server-Timing', 'db;dur=5');
      return c.text('ok');
    });
    const server = await open(app);

    const response = await send(server, '/timed');
    const { traceId, spanId } = (await spanOf('/timed')).spanContext();
    expect(response.headers.get('server-timing')).toBe(
      `db;dur=5, trace;desc=00-${traceId}-${spanId}-01`,
    );
  });

  it('captures the listed response headers of the final response', async () => {
    const app = new Hono();
    app.use(
      otel({ ...telemetry.options, captureResponseHeaders: ['content-type', 'x-request-id'] }),
    );
    app.get('/tagged', (c) => {
      c.header('x-request-id', 'req-1');
      return c.json({ ok: true });
    });
    const server = await open(app);

    const response = await send(server, '/tagged');
    expect(response.headers.get('x-request-id')).toBe('req-1');
    const span = await spanOf('/tagged');
    expect(span.attributes['http.response.header.content-type']).toEqual(['application/json']);
    expect(span.attributes['http.response.header.x-request-id']).toEqual(['req-1']);
  });

  it('runs handlers with the server span active, across awaits', async () => {
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.get('/whoami', async (c) => {
      const before = trace.getActiveSpan()?.spanContext().spanId;
      await sleep(5);
      const after = trace.getActiveSpan()?.spanContext().spanId;
      return c.json({ before, after });
    });
    const server = await open(app);

    const seen = (await (await server.request('/whoami')).json()) as Record<string, string>;
    const { spanId } = (await spanOf('/whoami')).spanContext();
    expect(seen).toEqual({ before: spanId, after: spanId });
  });

  it('ends a HEAD request, which Hono answers with the GET route and no body', async () => {
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
    const server = await open(app);

    const response = await send(server, '/users/1', { method: 'HEAD' });
    expect(response).toMatchObject({ status: 200, text: '' });
    const span = await spanOf('/users/1');
    expect(span.name).toBe('HEAD /users/:id');
    expect(span.attributes['http.response.status_code']).toBe(200);
  });
});

describe('on the Fetch path only', () => {
  it('ends the span with the error when a non-Error value escapes the chain', async () => {
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.get('/odd', () => {
      throw { reason: 'not an Error' };
    });

    await expect(Promise.resolve(app.request('/odd'))).rejects.toEqual({ reason: 'not an Error' });
    const span = await spanOf('/odd');
    expect(span.attributes['error.type']).toBe('_OTHER');
    expect(span.attributes).not.toHaveProperty('http.response.status_code');
    expect(span.attributes['http.route']).toBe('/odd');
    expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);
  });

  it('has ended the span by the time a body piped for waitUntil completes (the README flush)', async () => {
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.get('/events', (c) =>
      streamSSE(c, async (stream) => {
        for (let i = 0; i < 3; i++) {
          await sleep(10);
          await stream.writeSSE({ data: `tick-${i}` });
        }
      }),
    );
    const pending: Promise<unknown>[] = [];
    const endedAtFlush: number[] = [];
    // The fetch handler the README shows for Workers, with waitUntil collected here.
    const handler = async (request: Request) => {
      const response = await app.fetch(request);
      const flush = async () => {
        endedAtFlush.push(telemetry.exporter.getFinishedSpans().length);
      };
      if (response.body === null) {
        pending.push(flush());
        return response;
      }
      const { readable, writable } = new TransformStream();
      pending.push(response.body.pipeTo(writable).finally(flush));
      return new Response(readable, response);
    };

    const response = await handler(new Request('http://localhost/events'));
    expect(await response.text()).toBe('data: tick-0\n\ndata: tick-1\n\ndata: tick-2\n\n');
    await Promise.all(pending);
    expect(endedAtFlush).toEqual([1]);
  });

  it('takes peer address, port and HTTP version from connectionInfo, and survives it throwing', async () => {
    const app = new Hono<{ Bindings: { remote?: string } }>();
    app.use(
      otel<{ Bindings: { remote?: string } }>({
        ...telemetry.options,
        connectionInfo: (c) => {
          if (c.env.remote === undefined) throw new Error('no connection info here');
          return { peerAddress: c.env.remote, peerPort: 50123, protocolVersion: '2' };
        },
      }),
    );
    app.get('/who', (c) => c.text('you'));

    expect(await (await app.request('/who?known', {}, { remote: '192.0.2.7' })).text()).toBe('you');
    expect(await (await app.request('/who?unknown', {}, {})).text()).toBe('you');

    const [known, unknown] = await telemetry.waitForSpans(2);
    expect(known?.attributes).toMatchObject({
      'network.peer.address': '192.0.2.7',
      'network.peer.port': 50123,
      'client.address': '192.0.2.7',
      'network.protocol.version': '2',
    });
    expect(unknown?.attributes).not.toHaveProperty('network.peer.address');
    expect(unknown?.attributes['http.route']).toBe('/who');
  });

  it('returns a response that cannot be copied (a 101 upgrade) as it is, and ends its span', async () => {
    // What Deno's and Workers' WebSocket upgrades return: status 101, which `new Response()`
    // refuses, so the response must travel untouched. One with mutable headers, one without.
    const upgrade = (immutable: boolean) => {
      const response = immutable ? Response.redirect('http://localhost/', 302) : new Response(null);
      Object.defineProperty(response, 'status', { value: 101 });
      return response;
    };
    const mutable = upgrade(false);
    const frozen = upgrade(true);
    const app = new Hono();
    app.use(otel({ ...telemetry.options, traceResponseHeader: 'traceparent' }));
    app.get('/ws', () => mutable);
    app.get('/ws-frozen', () => frozen);

    expect(await app.request('/ws')).toBe(mutable);
    expect(await app.request('/ws-frozen')).toBe(frozen);
    const { traceId, spanId } = (await spanOf('/ws')).spanContext();
    expect(mutable.headers.get('traceparent')).toBe(`00-${traceId}-${spanId}-01`);
    expect(frozen.headers.get('traceparent')).toBeNull();
    for (const path of ['/ws', '/ws-frozen']) {
      const span = await spanOf(path);
      expect(span.attributes['http.response.status_code']).toBe(101);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
  });

  it('does not touch requests the ignore option excludes', async () => {
    const app = new Hono();
    app.use(otel({ ...telemetry.options, ignore: '/health' }));
    app.get('/health', (c) => c.text('ok'));
    const response = await app.request('/health');
    expect(await response.text()).toBe('ok');
    expect(await durationSeries(telemetry)).toEqual([]);
    expect(telemetry.exporter.getFinishedSpans()).toEqual([]);
  });
});
