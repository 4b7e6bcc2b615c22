/**
 * The same small application in every framework, behind its otel-http middleware, plus a plain
 * `node:http` server instrumented with core alone (`startNodeRequest`), which isolates core from
 * the adapters. Routes:
 *
 * - `GET /users/:id` → 200 JSON `{ id, ...probe() }`
 * - `GET /stream` → 200 `text/plain`, {@link STREAM}.chunks chunks {@link STREAM}.intervalMs apart
 *   (`?chunks=` asks for another number, at most 500)
 * - `GET /slow` → 200 JSON after {@link SLOW}.delayMs (`?ms=` asks for another delay, at most 5 s)
 * - `POST /upload` → reads the whole request body, 200 JSON `{ bytes }`
 * - anything else → the framework's own 404
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import Router from '@koa/router';
import { context } from '@opentelemetry/api';
import { createServerInstrumentation, type OtelHttpOptions } from '@otel-http/core';
import { startNodeRequest } from '@otel-http/core/node';
import { otel as expressOtel } from '@otel-http/express';
import { otel as fastifyOtel } from '@otel-http/fastify';
import { otel as honoOtel } from '@otel-http/hono';
import { otel as koaOtel } from '@otel-http/koa';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { stream as honoStream } from 'hono/streaming';
import Koa from 'koa';
import { probe } from './probe.js';

export const STREAM = { chunks: 5, intervalMs: 20, chunk: (i: number) => `chunk-${i}\n` } as const;
export const SLOW = { delayMs: 250 } as const;

/** The routes the application declares, as `http.route` must report them. */
export const ROUTE_TABLE = ['/users/:id', '/stream', '/slow', '/upload'] as const;

/** Server settings a scenario may need beyond the defaults. */
export interface ServerSettings {
  /** Node's limit on the size of the request head; default 16 KiB. */
  maxHeaderSize?: number;
  /**
   * `false` builds the same application without the middleware: the control that tells what the
   * framework does on its own with a hostile request. Default `true`.
   */
  instrument?: boolean;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** One framework (or core alone) with its middleware installed first. */
export interface Target {
  readonly name: TargetName;
  start(options: OtelHttpOptions, settings?: ServerSettings): Promise<RunningServer>;
}

export type TargetName = 'node' | 'express' | 'fastify' | 'hono' | 'koa';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A whole number from a query parameter, within `[0, max]`, else `fallback`. */
function boundedInt(value: unknown, fallback: number, max: number): number {
  const number = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  return Number.isInteger(number) && number <= max ? number : fallback;
}
const chunksOf = (value: unknown) => boundedInt(value, STREAM.chunks, 500);
const delayOf = (value: unknown) => boundedInt(value, SLOW.delayMs, 5_000);

async function* streamChunks(count: number): AsyncGenerator<string> {
  for (let i = 0; i < count; i++) {
    await sleep(STREAM.intervalMs);
    yield STREAM.chunk(i);
  }
}

async function readBody(req: IncomingMessage): Promise<number> {
  let bytes = 0;
  for await (const chunk of req) bytes += (chunk as Buffer).byteLength;
  return bytes;
}

async function listenOn(server: Server): Promise<RunningServer> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const nodeServer = (settings: ServerSettings, listener: RequestListener) =>
  createServer(settings.maxHeaderSize ? { maxHeaderSize: settings.maxHeaderSize } : {}, listener);

/** Core alone on `node:http`: what every Node adapter builds on. */
const node: Target = {
  name: 'node',
  start(options, settings = {}) {
    const instrumentation =
      settings.instrument === false ? undefined : createServerInstrumentation(options);
    const json = (res: import('node:http').ServerResponse, body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const server = nodeServer(settings, (req, res) => {
      const handle = instrumentation && startNodeRequest(instrumentation, req, res);
      const [path = '/', search = ''] = (req.url ?? '/').split('?');
      const query = new URLSearchParams(search);
      const route = async () => {
        const user = /^\/users\/([^/]+)$/.exec(path);
        if (req.method === 'GET' && user) {
          handle?.setRoute('/users/:id');
          return json(res, { id: user[1], ...probe() });
        }
        if (req.method === 'GET' && path === '/stream') {
          handle?.setRoute('/stream');
          res.writeHead(200, { 'content-type': 'text/plain' });
          for await (const chunk of streamChunks(chunksOf(query.get('chunks') ?? undefined))) {
            if (res.destroyed) return;
            res.write(chunk);
          }
          return res.end();
        }
        if (req.method === 'GET' && path === '/slow') {
          handle?.setRoute('/slow');
          await sleep(delayOf(query.get('ms') ?? undefined));
          return json(res, { slow: true });
        }
        if (req.method === 'POST' && path === '/upload') {
          handle?.setRoute('/upload');
          return json(res, { bytes: await readBody(req) });
        }
        res.writeHead(404).end('not found');
      };
      const run = () =>
        route().catch((error: unknown) => {
          handle?.recordError(error);
          if (!res.headersSent) res.writeHead(500).end();
          else res.destroy();
        });
      if (handle) context.with(handle.context, run);
      else void run();
    });
    return listenOn(server);
  },
};

const expressTarget: Target = {
  name: 'express',
  start(options, settings = {}) {
    const app = express();
    app.set('env', 'test');
    if (settings.instrument !== false) app.use(expressOtel(options));
    app.get('/users/:id', (req, res) => {
      res.json({ id: req.params.id, ...probe() });
    });
    app.get('/stream', async (req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.flushHeaders();
      for await (const chunk of streamChunks(chunksOf(req.query.chunks))) {
        if (res.destroyed) return;
        res.write(chunk);
      }
      res.end();
    });
    app.get('/slow', async (req, res) => {
      await sleep(delayOf(req.query.ms));
      res.json({ slow: true });
    });
    app.post('/upload', async (req, res) => {
      res.json({ bytes: await readBody(req) });
    });
    return listenOn(nodeServer(settings, app));
  },
};

const fastifyTarget: Target = {
  name: 'fastify',
  async start(options, settings = {}) {
    let server: Server | undefined;
    const app = Fastify({
      logger: false,
      serverFactory: (handler) => {
        server = nodeServer(settings, handler);
        return server;
      },
    });
    if (settings.instrument !== false) await app.register(fastifyOtel, options);
    app.get<{ Params: { id: string } }>('/users/:id', async (request) => ({
      id: request.params.id,
      ...probe(),
    }));
    app.get<{ Querystring: { chunks?: string } }>('/stream', async (request, reply) => {
      reply.type('text/plain');
      return reply.send(Readable.from(streamChunks(chunksOf(request.query.chunks))));
    });
    app.get<{ Querystring: { ms?: string } }>('/slow', async (request) => {
      await sleep(delayOf(request.query.ms));
      return { slow: true };
    });
    app.addContentTypeParser('application/octet-stream', (_request, payload, done) => {
      readBody(payload).then(
        (bytes) => done(null, bytes),
        (error: Error) => done(error),
      );
    });
    app.post('/upload', async (request) => ({ bytes: request.body }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = (server as Server).address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      close: async () => {
        server?.closeAllConnections();
        await app.close();
      },
    };
  },
};

const honoTarget: Target = {
  name: 'hono',
  start(options, settings = {}) {
    const app = honoApp(options, settings.instrument !== false);
    return new Promise((resolve, reject) => {
      const server = serve({
        fetch: app.fetch,
        port: 0,
        hostname: '127.0.0.1',
        ...(settings.maxHeaderSize
          ? { serverOptions: { maxHeaderSize: settings.maxHeaderSize } }
          : {}),
      }) as Server;
      server.once('error', reject);
      server.once('listening', () => {
        const { port } = server.address() as AddressInfo;
        resolve({
          url: `http://127.0.0.1:${port}`,
          port,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections();
            }),
        });
      });
    });
  },
};

/**
 * The Hono application alone, runtime-neutral: served by `@hono/node-server` above, or called
 * through `app.request()` to exercise the Fetch path of the middleware.
 */
export function honoApp(options: OtelHttpOptions, instrument = true): Hono {
  const app = new Hono();
  if (instrument) app.use(honoOtel(options));
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), ...probe() }));
  app.get('/stream', (c) => {
    c.header('content-type', 'text/plain');
    const count = chunksOf(c.req.query('chunks'));
    return honoStream(c, async (stream) => {
      for (let i = 0; i < count && !stream.aborted; i++) {
        await stream.sleep(STREAM.intervalMs);
        await stream.write(STREAM.chunk(i));
      }
    });
  });
  app.get('/slow', async (c) => {
    await sleep(delayOf(c.req.query('ms')));
    return c.json({ slow: true });
  });
  app.post('/upload', async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }));
  // Hono's default error handler is this plus a console.error of every aborted upload.
  app.onError((_error, c) => c.text('Internal Server Error', 500));
  return app;
}

const koaTarget: Target = {
  name: 'koa',
  start(options, settings = {}) {
    const app = new Koa();
    app.silent = true;
    if (settings.instrument !== false) app.use(koaOtel(options));
    const router = new Router();
    router.get('/users/:id', (ctx) => {
      ctx.body = { id: ctx.params.id, ...probe() };
    });
    router.get('/stream', (ctx) => {
      ctx.type = 'text/plain';
      ctx.body = Readable.from(streamChunks(chunksOf(ctx.query.chunks)));
    });
    router.get('/slow', async (ctx) => {
      await sleep(delayOf(ctx.query.ms));
      ctx.body = { slow: true };
    });
    router.post('/upload', async (ctx) => {
      ctx.body = { bytes: await readBody(ctx.req) };
    });
    app.use(router.routes());
    return listenOn(nodeServer(settings, app.callback()));
  },
};

/** Core alone, then the four adapters. */
export const TARGETS: readonly Target[] = [
  node,
  expressTarget,
  fastifyTarget,
  honoTarget,
  koaTarget,
];

/** The four framework adapters. */
export const ADAPTERS: readonly Target[] = TARGETS.filter((target) => target.name !== 'node');

export function targetNamed(name: string): Target {
  const found = TARGETS.find((target) => target.name === name);
  if (!found)
    throw new Error(`unknown target ${name}; one of ${TARGETS.map((t) => t.name).join(', ')}`);
  return found;
}
