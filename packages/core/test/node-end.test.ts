import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServerInstrumentation, type OtelHttpOptions } from '../src/index.js';
import {
  bindEmitterToContext,
  recordNodeRequestError,
  requestHandleOf,
  type ShareBoundEmitOptions,
  shareBoundEmit,
  startNodeRequest,
  unbindEmitter,
} from '../src/node.js';
import { createTelemetry, registerGlobals } from './harness.js';

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  report: (error: unknown) => void,
) => void | Promise<void>;
type Protocol = 'http/1.1' | 'h2c';

let unregister: () => void;
beforeAll(() => {
  unregister = registerGlobals();
});
afterAll(() => unregister());

let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeServer?.();
  closeServer = undefined;
});

/**
 * A bare Node server (HTTP/1.1 or h2c) instrumented as every Node adapter is: `startNodeRequest`,
 * the handler in the handle's context, errors through `recordNodeRequestError`.
 */
async function serve(protocol: Protocol, options: OtelHttpOptions, handler: Handler) {
  const instrumentation = createServerInstrumentation(options);
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const handle = startNodeRequest(instrumentation, req, res);
    const report = (error: unknown) =>
      handle && recordNodeRequestError(instrumentation, handle, res, error);
    if (handle) context.with(handle.context, () => handler(req, res, report));
    else void handler(req, res, report);
  };
  const server =
    protocol === 'h2c'
      ? http2.createServer(listener as never)
      : http.createServer(listener).on('connection', (socket) => sockets.add(socket));
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => sessions.add(session));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
      for (const session of sessions) session.destroy();
    });
  return port;
}

/** What a client did with one request. */
interface ClientPlan {
  method?: string;
  /** Body chunks, each written after `pauseMs`. */
  chunks?: string[];
  pauseMs?: number;
  /** Cancel (HTTP/2 `RST_STREAM` CANCEL, HTTP/1.1 socket destroyed) after this many ms… */
  cancelAfterMs?: number;
  /** …or once the first body bytes arrived. */
  cancelOnData?: boolean;
}

/** Sends one request; resolves with the status and body it received (or `cancelled`). */
function send(protocol: Protocol, port: number, path: string, plan: ClientPlan = {}) {
  return new Promise<{ status: number; body: string } | 'cancelled'>((resolve) => {
    const method = plan.method ?? (plan.chunks ? 'POST' : 'GET');
    let status = 0;
    let body = '';
    let cancelled = false;
    const received = () => resolve(cancelled ? 'cancelled' : { status, body });
    let cancel: () => void;
    let writer: { write(chunk: string): void; end(): void };
    if (protocol === 'h2c') {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
      const stream = session.request({ ':method': method, ':path': path });
      stream.on('error', () => {});
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
      });
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        body += chunk;
        if (plan.cancelOnData) cancel();
      });
      stream.on('end', received);
      stream.on('close', () => {
        session.close();
        resolve('cancelled');
      });
      cancel = () => {
        cancelled = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
      };
      writer = stream;
    } else {
      const request = http.request({ port, host: '127.0.0.1', path, method, agent: false });
      request.on('error', () => {});
      request.on('response', (response) => {
        status = response.statusCode ?? 0;
        response.setEncoding('utf8');
        response.on('error', () => {});
        response.on('data', (chunk: string) => {
          body += chunk;
          if (plan.cancelOnData) cancel();
        });
        response.on('end', received);
      });
      request.on('close', () => resolve('cancelled'));
      cancel = () => {
        cancelled = true;
        request.destroy();
      };
      writer = request;
    }
    if (plan.cancelAfterMs !== undefined) setTimeout(() => cancel(), plan.cancelAfterMs);
    const chunks = [...(plan.chunks ?? [])];
    const next = () => {
      const chunk = chunks.shift();
      if (chunk === undefined) writer.end();
      else {
        writer.write(chunk);
        setTimeout(next, plan.pauseMs ?? 0);
      }
    };
    if (chunks.length > 0) {
      // Headers first, then the body in pieces, each after a pause.
      if ('flushHeaders' in writer) (writer as http.ClientRequest).flushHeaders();
      setTimeout(next, plan.pauseMs ?? 0);
    } else writer.end();
  });
}

const serverSpanOf = (spans: readonly ReadableSpan[]) => {
  const server = spans.filter((span) => span.kind === 1);
  expect(server).toHaveLength(1);
  return server[0] as ReadableSpan;
};

describe.each(['http/1.1', 'h2c'] as const)('the Node end path over %s', (protocol) => {
  it('records a complete response as a success with its status', async () => {
    const telemetry = createTelemetry();
    const port = await serve(protocol, telemetry, (_req, res) => {
      res.writeHead(201).end('made');
    });
    expect(await send(protocol, port, '/')).toEqual({ status: 201, body: 'made' });
    const span = serverSpanOf(await telemetry.waitForSpans(1));
    expect(span.attributes['http.response.status_code']).toBe(201);
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('records a client cancelling while the handler hangs as aborted, without a status', async () => {
    const telemetry = createTelemetry();
    const port = await serve(protocol, telemetry, () => {});
    expect(await send(protocol, port, '/', { cancelAfterMs: 30 })).toBe('cancelled');
    const span = serverSpanOf(await telemetry.waitForSpans(1));
    expect(span.attributes['error.type']).toBe('aborted');
    expect(span.attributes['http.response.status_code']).toBeUndefined();
    // A client that goes away is no error of the server's.
    expect(span.events).toEqual([]);
  });

  it('records a client cancelling after a few bytes of a 200 as aborted, with the 200', async () => {
    const telemetry = createTelemetry();
    const port = await serve(protocol, telemetry, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first bytes');
    });
    expect(await send(protocol, port, '/', { cancelOnData: true })).toBe('cancelled');
    const span = serverSpanOf(await telemetry.waitForSpans(1));
    expect(span.attributes['error.type']).toBe('aborted');
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(span.events).toEqual([]);
  });

  it('records the status of the head that was sent, not one set afterwards', async () => {
    const telemetry = createTelemetry();
    const port = await serve(protocol, telemetry, (_req, res, report) => {
      res.statusCode = 202;
      res.end('a');
      // What a framework's error path does after the head went out.
      res.statusCode = 500;
      report(new TypeError('too late'));
    });
    expect(await send(protocol, port, '/')).toEqual({ status: 202, body: 'a' });
    const span = serverSpanOf(await telemetry.waitForSpans(1));
    expect(span.attributes['http.response.status_code']).toBe(202);
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.status.code).toBe(0);
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
    expect(span.events[0]?.attributes?.['exception.type']).toBe('TypeError');
  });

  it('records a response destroyed with an error as aborted, with that error', async () => {
    const telemetry = createTelemetry();
    const port = await serve(protocol, telemetry, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('first rows', () => {
        // What `pipeline` does to the response when the source fails part way.
        res.destroy(new RangeError('the export broke'));
      });
    });
    expect(await send(protocol, port, '/')).toBe('cancelled');
    const span = serverSpanOf(await telemetry.waitForSpans(1));
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(span.attributes['error.type']).toBe('aborted');
    expect(span.status.code).toBe(2);
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
    expect(span.events[0]?.attributes?.['exception.type']).toBe('RangeError');
  });

  // Reason phrases are HTTP/1's: HTTP/2 has none, and its status comes from the stream.
  it.skipIf(protocol === 'h2c')(
    'records the status that was sent after its code and the one set later were both seen sent',
    async () => {
      const telemetry = createTelemetry();
      const port = await serve(protocol, telemetry, (req, res) => {
        if (req.url === '/late') {
          res.writeHead(202).end('a');
          res.statusCode = 500;
        } else if (req.url === '/shared-late') {
          res.writeHead(203, 'Shared by two codes').end('b');
          res.statusCode = 206;
        } else if (req.url === '/shared') {
          res.writeHead(206, 'Shared by two codes').end();
        } else if (req.url === '/shared-first') {
          res.writeHead(203, 'Shared by two codes').end();
        } else {
          res.writeHead(Number(req.url?.slice(1))).end();
        }
      });
      for (const path of ['/500', '/202', '/shared-first', '/shared', '/late', '/shared-late']) {
        await send(protocol, port, path);
      }
      const spans = await telemetry.waitForSpans(6);
      const statuses = spans
        .filter((span) => span.kind === 1)
        .map((span) => span.attributes['http.response.status_code']);
      expect(statuses).toEqual([500, 202, 203, 206, 202, 203]);
    },
  );

  it('lets an error reported before the head decide the failure', async () => {
    const telemetry = createTelemetry();
    const port = await serve(protocol, telemetry, (_req, res, report) => {
      report(new RangeError('early'));
      res.writeHead(500).end();
    });
    expect(await send(protocol, port, '/')).toEqual({ status: 500, body: '' });
    const span = serverSpanOf(await telemetry.waitForSpans(1));
    expect(span.attributes['error.type']).toBe('RangeError');
  });

  it('counts the bytes of end(chunk) once', async () => {
    const telemetry = createTelemetry();
    const port = await serve(
      protocol,
      { ...telemetry, metrics: { responseBodySize: true } },
      (_req, res) => {
        res.write('abc');
        res.end('defg');
      },
    );
    expect(await send(protocol, port, '/')).toEqual({ status: 200, body: 'abcdefg' });
    const span = serverSpanOf(await telemetry.waitForSpans(1));
    expect(span.attributes['http.response.body.size']).toBe(7);
  });

  it('runs request and response listeners in the request context: a body sent in pieces after a delay', async () => {
    const telemetry = createTelemetry();
    const tracer = telemetry.tracerProvider.getTracer('app');
    const port = await serve(protocol, telemetry, (req, res) => {
      req.on('data', () => tracer.startSpan('chunk').end());
      req.on('end', () => {
        tracer.startSpan('body read').end();
        res.end('read');
      });
      res.on('finish', () => tracer.startSpan('after finish').end());
    });
    const sent = await send(protocol, port, '/upload', {
      chunks: ['one,', 'two,', 'three'],
      pauseMs: 40,
    });
    expect(sent).toEqual({ status: 200, body: 'read' });
    const spans = await telemetry.waitForSpans(6);
    const server = serverSpanOf(spans);
    const children = spans.filter((span) => span !== server);
    expect(children.map((span) => span.name)).toEqual(
      expect.arrayContaining(['chunk', 'body read', 'after finish']),
    );
    expect(children.length).toBeGreaterThanOrEqual(3);
    for (const child of children) {
      expect(child.spanContext().traceId, child.name).toBe(server.spanContext().traceId);
      expect(child.parentSpanContext?.spanId, child.name).toBe(server.spanContext().spanId);
    }
  });
});

describe('shareBoundEmit', () => {
  /**
   * Telemetry, and a framework's own request and response prototypes between Node's and each
   * request's (as Express has them) with the binding emit shared on them, twice: once counts.
   */
  function sharedLayers(options?: ShareBoundEmitOptions) {
    const telemetry = createTelemetry();
    const requestLayer = Object.create(http.IncomingMessage.prototype) as object;
    const responseLayer = Object.create(http.ServerResponse.prototype) as object;
    shareBoundEmit(requestLayer);
    shareBoundEmit(responseLayer, options);
    shareBoundEmit(responseLayer, options);
    return {
      telemetry,
      tracer: telemetry.tracerProvider.getTracer('app'),
      instrumentation: createServerInstrumentation(telemetry),
      requestLayer,
      responseLayer,
    };
  }

  it('binds emitters that inherit it with their context alone, and leaves the others as they were', async () => {
    const { telemetry, tracer, instrumentation, requestLayer, responseLayer } = sharedLayers();
    const own: boolean[] = [];
    let unboundListenerRan = false;
    const server = http.createServer((req, res) => {
      Object.setPrototypeOf(req, requestLayer);
      Object.setPrototypeOf(res, responseLayer);
      const traced = req.url !== '/plain';
      const handle = traced ? startNodeRequest(instrumentation, req, res) : undefined;
      own.push(Object.hasOwn(req, 'emit'), Object.hasOwn(res, 'emit'));
      const run = () => {
        req.on('end', () => {
          if (traced) tracer.startSpan('body read').end();
          else unboundListenerRan = trace.getActiveSpan() === undefined;
          res.end('ok');
        });
        res.on('finish', () => traced && tracer.startSpan('after finish').end());
        req.resume();
      };
      if (handle) context.with(handle.context, run);
      else run();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
    const { port } = server.address() as AddressInfo;
    expect(await send('http/1.1', port, '/traced', { chunks: ['a', 'b'], pauseMs: 20 })).toEqual({
      status: 200,
      body: 'ok',
    });
    expect(await send('http/1.1', port, '/plain')).toEqual({ status: 200, body: 'ok' });
    const spans = await telemetry.waitForSpans(3);
    const server_ = serverSpanOf(spans);
    const children = spans.filter((span) => span !== server_);
    expect(children.map((span) => span.name).sort()).toEqual(['after finish', 'body read']);
    for (const child of children) {
      expect(child.parentSpanContext?.spanId, child.name).toBe(server_.spanContext().spanId);
    }
    expect(own).toEqual([false, false, false, false]);
    expect(unboundListenerRan).toBe(true);
    expect(Object.hasOwn(http.IncomingMessage.prototype, 'emit')).toBe(false);
  });

  it('lets responses follow their request: no binding of their own, listeners in the request context, an own binding still first', async () => {
    const { telemetry, tracer, instrumentation, requestLayer, responseLayer } = sharedLayers({
      followRequest: true,
    });
    const ours = (emitter: object) =>
      Object.getOwnPropertySymbols(emitter).filter((key) =>
        String(key.description).startsWith('@otel-http'),
      ).length;
    const seen: Array<{ path: string; req: number; res: number; found: boolean }> = [];
    let afterUnbind: string | undefined = 'unset';
    const other = tracer.startSpan('elsewhere');
    const server = http.createServer((req, res) => {
      Object.setPrototypeOf(req, requestLayer);
      Object.setPrototypeOf(res, responseLayer);
      const handle = startNodeRequest(instrumentation, req, res);
      const path = req.url ?? '';
      seen.push({ path, req: ours(req), res: ours(res), found: requestHandleOf(req) === handle });
      if (path === '/own') bindEmitterToContext(res, trace.setSpan(context.active(), other));
      if (path === '/unbound') unbindEmitter(req);
      res.on('finish', () => {
        if (path === '/unbound') afterUnbind = trace.getActiveSpan()?.spanContext().spanId;
        else tracer.startSpan(`finish ${path}`).end();
      });
      // Ended outside the request context: only the binding can give the listener its context.
      setImmediate(() => res.end('ok'));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
    const { port } = server.address() as AddressInfo;
    for (const path of ['/follow', '/own', '/unbound']) {
      expect(await send('http/1.1', port, path)).toEqual({ status: 200, body: 'ok' });
    }
    other.end();
    const spans = await telemetry.waitForSpans(6);
    const serverOf = (path: string) =>
      spans.find((span) => span.kind === 1 && span.attributes['url.path'] === path);
    const follow = spans.find((span) => span.name === 'finish /follow');
    expect(follow?.parentSpanContext?.spanId).toBe(serverOf('/follow')?.spanContext().spanId);
    const own = spans.find((span) => span.name === 'finish /own');
    expect(own?.parentSpanContext?.spanId).toBe(other.spanContext().spanId);
    expect(afterUnbind).toBeUndefined();
    expect(seen).toEqual([
      { path: '/follow', req: 1, res: 0, found: true },
      { path: '/own', req: 1, res: 0, found: true },
      { path: '/unbound', req: 1, res: 0, found: true },
    ]);
    expect(Object.hasOwn(http.ServerResponse.prototype, 'emit')).toBe(false);
  });

  it('finds no handle for a request that was never bound', () => {
    expect(
      requestHandleOf(Object.create(http.IncomingMessage.prototype) as object),
    ).toBeUndefined();
    expect(requestHandleOf({})).toBeUndefined();
  });
});

describe('listeners of a request that was not instrumented', () => {
  it('keep the context they would have had', async () => {
    const telemetry = createTelemetry();
    let active: string | undefined = 'unset';
    const port = await serve('http/1.1', { ...telemetry, ignore: '/health' }, (req, res) => {
      req.on('end', () => {
        active = trace.getActiveSpan()?.spanContext().spanId;
        res.end('ok');
      });
      req.resume();
    });
    expect(await send('http/1.1', port, '/health')).toEqual({ status: 200, body: 'ok' });
    expect(active).toBeUndefined();
    expect(telemetry.spans()).toHaveLength(0);
  });
});
