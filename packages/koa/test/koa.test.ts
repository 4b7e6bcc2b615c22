import { request as httpRequest } from 'node:http';
import { connect as connectHttp2, createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Router from '@koa/router';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { CheckTelemetry, type ConformanceServer, registerGlobals } from '@otel-http/conformance';
import type { OtelHttpOptions } from '@otel-http/core';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { otel, recordRequestError } from '../src/index.js';
import { listen } from './server.js';

const telemetry = new CheckTelemetry();
const unregisterGlobals = registerGlobals();
const running: ConformanceServer[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
  telemetry.exporter.reset();
});
afterAll(async () => {
  await telemetry.shutdown();
  unregisterGlobals();
});

/** An application with the middleware first and the given setup after it. */
function build(setup: (app: Koa) => void, options: OtelHttpOptions = {}): Koa {
  const app = new Koa();
  app.silent = true;
  app.use(otel({ ...telemetry.options, ...options }));
  setup(app);
  return app;
}

/** Builds and starts an application for one test; it is closed after the test. */
async function start(setup: (app: Koa) => void, options: OtelHttpOptions = {}): Promise<string> {
  const server = await listen(build(setup, options));
  running.push(server);
  return server.url;
}

/** An error class of the application, so that `error.type` can be checked by name. */
class BoomError extends Error {
  override name = 'BoomError';
}

const ok = (ctx: Koa.Context) => {
  ctx.body = { ok: true };
};

describe('the route, as @koa/router matched it', () => {
  let shared: ConformanceServer;

  beforeAll(async () => {
    const deeper = new Router({ prefix: '/deep' });
    deeper.get('/x/:y', ok);

    const nested = new Router();
    // A router-level middleware: the router runs it as a layer of its own, before the route.
    nested.use(async (ctx, next) => {
      if (ctx.query.deny !== undefined) {
        ctx.status = 401;
        return;
      }
      if (ctx.query.explode !== undefined) throw new Error('guard failed');
      await next();
    });
    nested.get('/items/:itemId', ok);
    nested.get('/boom', () => {
      throw new BoomError('boom');
    });
    nested.use(deeper.routes());

    const root = new Router();
    root.get('/users/:id', ok);
    root.use('/api/v1', nested.routes());
    root.get(/^\/re\/(\d+)$/, ok);

    const orgs = new Router({ prefix: '/orgs/:org' });
    orgs.get('/members/:member', ok);

    shared = await listen(
      build((app) => {
        app.use(root.routes());
        app.use(root.allowedMethods());
        app.use(orgs.routes());
      }),
    );
  });
  afterAll(() => shared.close());

  it.each([
    ['GET', '/users/7', 200, '/users/:id'],
    ['HEAD', '/users/7', 200, '/users/:id'],
    ['GET', '/api/v1/items/7', 200, '/api/v1/items/:itemId'],
    ['GET', '/api/v1/boom', 500, '/api/v1/boom'],
    ['GET', '/api/v1/deep/x/1', 200, '/api/v1/deep/x/:y'],
    ['GET', '/orgs/acme/members/9', 200, '/orgs/:org/members/:member'],
    ['GET', '/api/v1/items/7?deny', 401, '/api/v1/items/:itemId'],
    ['GET', '/api/v1/items/7?explode', 500, '/api/v1/items/:itemId'],
    ['DELETE', '/users/7', 405, undefined],
    ['GET', '/re/12', 200, undefined],
    ['GET', '/api/v1/nowhere', 404, undefined],
    ['GET', '/nowhere', 404, undefined],
  ])('%s %s → %i, route %s', async (method, path, status, route) => {
    const response = await fetch(shared.url + path, { method });
    await response.arrayBuffer();
    expect(response.status).toBe(status);

    const [span, extra] = await telemetry.waitForSpans();
    expect(extra).toBeUndefined();
    expect(span?.attributes['http.route']).toBe(route);
    expect(span?.name).toBe(route ? `${method} ${route}` : method);
  });
});

describe("Koa's error handling", () => {
  it('receives the thrown error unchanged, once, and answers 500', async () => {
    const thrown = new BoomError('boom');
    const seen: unknown[] = [];
    const url = await start((app) => {
      app.on('error', (error) => seen.push(error));
      const router = new Router();
      router.get('/explode', () => {
        throw thrown;
      });
      app.use(router.routes());
    });

    const response = await fetch(`${url}/explode`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal Server Error');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(thrown);

    const [span] = await telemetry.waitForSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['http.response.status_code']).toBe(500);
    expect(span?.attributes['error.type']).toBe('BoomError');
    expect(span?.events.filter((event) => event.name === 'exception')).toHaveLength(1);
  });

  it('leaves ctx.throw(400) a client error: status 400, span UNSET', async () => {
    const seen: unknown[] = [];
    let thrown: unknown;
    const url = await start((app) => {
      app.on('error', (error) => seen.push(error));
      const router = new Router();
      router.get('/orders/:id', (ctx) => {
        try {
          ctx.throw(400, 'order id must be numeric');
        } catch (error) {
          thrown = error;
          throw error;
        }
      });
      app.use(router.routes());
    });

    const response = await fetch(`${url}/orders/abc`);
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('order id must be numeric');
    expect(seen).toEqual([thrown]);

    const [span] = await telemetry.waitForSpans();
    expect(span?.name).toBe('GET /orders/:id');
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes['http.response.status_code']).toBe(400);
    expect(span?.attributes['error.type']).toBeUndefined();
    expect(span?.events).toEqual([]);
  });

  it('reports what a custom error middleware answers (418), with the route kept', async () => {
    const thrown = new BoomError('no coffee');
    const seen: unknown[] = [];
    const url = await start((app) => {
      app.on('error', (error) => seen.push(error));
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          ctx.status = 418;
          ctx.body = { error: 'teapot' };
          ctx.app.emit('error', error, ctx);
        }
      });
      const router = new Router();
      router.get('/brew/:drink', () => {
        throw thrown;
      });
      app.use(router.routes());
    });

    const response = await fetch(`${url}/brew/coffee`);
    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ error: 'teapot' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(thrown);

    const [span, extra] = await telemetry.waitForSpans();
    expect(extra).toBeUndefined();
    expect(span?.name).toBe('GET /brew/:drink');
    expect(span?.attributes['http.route']).toBe('/brew/:drink');
    expect(span?.attributes['http.response.status_code']).toBe(418);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe('an error middleware that answers a 500 itself', () => {
  it('reports the error it handled with recordRequestError', async () => {
    const url = await start((app) => {
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          recordRequestError(error);
          ctx.status = 500;
          ctx.body = { error: 'internal' };
        }
      });
      const router = new Router();
      router.get('/stock/:sku', () => {
        throw new BoomError('out of stock');
      });
      app.use(router.routes());
    });
    const response = await fetch(`${url}/stock/p1`);
    expect(response.status).toBe(500);
    const [span] = await telemetry.waitForSpans();
    expect(span?.attributes['error.type']).toBe('BoomError');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
  });
});

describe('the trace response header and Koa error answers', () => {
  const routes = (app: Koa) => {
    const router = new Router();
    router.get('/explode', () => {
      throw new BoomError('boom');
    });
    app.use(router.routes());
  };

  it("is removed with every other header by Koa's default error handler", async () => {
    const url = await start(routes, { traceResponseHeader: 'traceparent' });
    const response = await fetch(`${url}/explode`);
    expect(response.status).toBe(500);
    expect(response.headers.get('traceparent')).toBeNull();
    expect(await telemetry.waitForSpans()).toHaveLength(1);
  });

  it('is kept when an error middleware of the application answers', async () => {
    const url = await start(
      (app) => {
        app.use(async (ctx, next) => {
          try {
            await next();
          } catch {
            ctx.status = 500;
            ctx.body = { error: 'internal' };
          }
        });
        routes(app);
      },
      { traceResponseHeader: 'traceparent' },
    );
    const response = await fetch(`${url}/explode`);
    expect(response.status).toBe(500);
    const [span] = await telemetry.waitForSpans();
    const { traceId, spanId } = span!.spanContext();
    expect(response.headers.get('traceparent')).toBe(`00-${traceId}-${spanId}-01`);
  });
});

describe('the end of the request', () => {
  it('waits for the last byte of a stream body', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* body() {
      yield 'first chunk\n';
      await gate;
      yield 'last chunk\n';
    }
    const url = await start(
      (app) => {
        const router = new Router();
        router.get('/download', (ctx) => {
          ctx.type = 'text/plain';
          ctx.body = Readable.from(body());
        });
        app.use(router.routes());
      },
      { metrics: { responseBodySize: true } },
    );

    const response = await fetch(`${url}/download`);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first chunk\n');
    // The middleware returned long ago; the response is still open, so is the span.
    await sleep(50);
    expect(telemetry.exporter.getFinishedSpans()).toHaveLength(0);

    release();
    while (!(await reader.read()).done) {}
    const [span, extra] = await telemetry.waitForSpans();
    expect(extra).toBeUndefined();
    expect(span?.name).toBe('GET /download');
    expect(span?.attributes['http.response.status_code']).toBe(200);
    const [size] = await telemetry.histogram('http.server.response.body.size');
    expect(size?.value.sum).toBe('first chunk\nlast chunk\n'.length);
  });

  it('ends a server-sent event stream once when the client hangs up mid-stream', async () => {
    let producerStopped = false;
    async function* events() {
      try {
        for (let i = 0; i < 100; i++) {
          yield `data: ${i}\n\n`;
          await sleep(20);
        }
      } finally {
        producerStopped = true;
      }
    }
    const url = await start((app) => {
      const router = new Router();
      router.get('/events', (ctx) => {
        ctx.type = 'text/event-stream';
        ctx.body = Readable.from(events());
      });
      app.use(router.routes());
    });

    // Hang up as soon as the first event arrives.
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest(`${url}/events`, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
      request.on('error', () => {});
      request.end();
      setTimeout(() => reject(new Error('no event received')), 5_000).unref();
    });

    const [span] = await telemetry.waitForSpans();
    // Koa destroys the body stream when the response closes; by then the span has ended, once.
    for (let i = 0; i < 200 && !producerStopped; i++) await sleep(10);
    expect(producerStopped).toBe(true);
    expect(telemetry.exporter.getFinishedSpans()).toHaveLength(1);
    expect(span?.name).toBe('GET /events');
    expect(span?.attributes['http.response.status_code']).toBe(200);
    expect(span?.attributes['error.type']).toBe('aborted');
    const [active] = await telemetry.counter('http.server.active_requests');
    expect(active?.value).toBe(0);
  });

  it('keeps the route when the client hangs up while the handler still runs', async () => {
    let handlerStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      handlerStarted = resolve;
    });
    let handlerDone = false;
    const url = await start((app) => {
      const router = new Router();
      router.get('/reports/:id', async (ctx) => {
        handlerStarted();
        await sleep(300);
        ctx.body = { ready: true };
        handlerDone = true;
      });
      app.use(router.routes());
    });

    // Hang up once the handler runs, long before it answers.
    const request = httpRequest(`${url}/reports/1`);
    request.on('error', () => {});
    request.end();
    await started;
    request.destroy();

    const [span] = await telemetry.waitForSpans();
    expect(span?.name).toBe('GET /reports/:id');
    expect(span?.attributes['http.route']).toBe('/reports/:id');
    expect(span?.attributes['http.response.status_code']).toBeUndefined();
    expect(span?.attributes['error.type']).toBe('aborted');
    for (let i = 0; i < 100 && !handlerDone; i++) await sleep(10);
    expect(handlerDone).toBe(true);
    expect(telemetry.exporter.getFinishedSpans()).toHaveLength(1);
  });
});

describe('HTTP/2', () => {
  it('instruments a Koa application served by node:http2 (h2c)', async () => {
    const app = build((koa) => {
      const router = new Router();
      router.get('/users/:id', ok);
      koa.use(router.routes());
    });
    const server = createHttp2Server(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const session = connectHttp2(`http://127.0.0.1:${port}`);
    try {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const stream = session.request({ ':method': 'GET', ':path': '/users/7' });
        let answered: number | undefined;
        stream.on('response', (headers) => {
          answered = headers[':status'];
        });
        stream.on('error', reject);
        stream.resume();
        stream.on('end', () => resolve(answered));
      });
      expect(status).toBe(200);

      const [span] = await telemetry.waitForSpans();
      expect(span?.name).toBe('GET /users/:id');
      expect(span?.attributes['http.response.status_code']).toBe(200);
      expect(span?.attributes['network.protocol.version']).toBe('2');
    } finally {
      session.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the active context downstream', () => {
  it('parents the spans of later middleware and handlers to the server span', async () => {
    const tracer = telemetry.options.tracerProvider.getTracer('koa-test');
    const url = await start((app) => {
      app.use(async (ctx, next) => {
        ctx.state.seenBy = trace.getActiveSpan()?.spanContext().spanId;
        await next();
      });
      const router = new Router();
      router.get('/work', async (ctx) => {
        await sleep(1);
        await tracer.startActiveSpan('work', async (span) => {
          span.end();
        });
        ctx.body = { seenBy: ctx.state.seenBy };
      });
      app.use(router.routes());
    });

    const response = await fetch(`${url}/work`);
    const { seenBy } = (await response.json()) as { seenBy: string };
    const spans = await telemetry.waitForSpans(2);
    const server = spans.find((span) => span.name === 'GET /work');
    const work = spans.find((span) => span.name === 'work');
    expect(seenBy).toBe(server?.spanContext().spanId);
    expect(work?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
  });
});
