/**
 * HTTP/2 cancellations: many streams multiplexed over a few sessions, each cancelled by the client
 * with `RST_STREAM` (CANCEL) at a random point — before the response head (`GET /slow`), in the
 * middle of the request body (`POST /upload`), in the middle of a streamed response
 * (`GET /stream`) — with completed requests mixed in. A cancelled stream must end exactly one
 * span as `error.type=aborted`, with a status code only if the head was sent; a completed one must
 * be a success; `http.server.active_requests` ends at 0. Core alone on `node:http2` and Fastify's
 * `http2: true` server (the adapters' own HTTP/2 rows are in the conformance suite).
 */
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createServerInstrumentation, type OtelHttpOptions } from '@otel-http/core';
import { startNodeRequest } from '@otel-http/core/node';
import { otel } from '@otel-http/fastify';
import Fastify from 'fastify';
import { pool, waitFor } from '../client.js';
import { pick, seededRandom } from '../random.js';
import { activeRequests, createTelemetry, METRIC } from '../telemetry.js';

export type Http2Point = 'before-headers' | 'mid-body' | 'mid-stream' | 'completed';
const POINTS: readonly Http2Point[] = ['before-headers', 'mid-body', 'mid-stream', 'completed'];

const ROUTE_OF: Record<Http2Point, string> = {
  'before-headers': '/slow',
  'mid-body': '/upload',
  'mid-stream': '/stream',
  completed: '/users/:id',
};
/** Far longer than the client waits before it cancels, even on a busy machine. */
const SLOW_MS = 1_000;
const STREAM_CHUNKS = 60;
const STREAM_INTERVAL_MS = 20;
const UPLOAD_BYTES = 64 * 1024;
const SESSIONS = 4;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Http2Server {
  readonly url: string;
  close(): Promise<void>;
}

/** One way to serve the four routes over h2c with the telemetry installed. */
export interface Http2Target {
  readonly name: 'node' | 'fastify';
  start(options: OtelHttpOptions): Promise<Http2Server>;
}

const queryInt = (url: string, name: string, fallback: number) => {
  const value = Number(new URL(url, 'http://x').searchParams.get(name));
  return Number.isInteger(value) && value > 0 && value <= 5_000 ? value : fallback;
};

async function closing(server: http2.Http2Server): Promise<Http2Server> {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}

/** Core alone on `node:http2`'s compatibility API: what the Node adapters build on. */
const nodeTarget: Http2Target = {
  name: 'node',
  async start(options) {
    const instrumentation = createServerInstrumentation(options);
    const server = http2.createServer((req, res) => {
      const handle = startNodeRequest(instrumentation, req as never, res as never);
      const url = req.url ?? '/';
      const path = url.split('?')[0] ?? '/';
      void (async () => {
        if (path === '/slow') {
          handle?.setRoute('/slow');
          await sleep(queryInt(url, 'ms', SLOW_MS));
          if (!res.stream.destroyed) res.end('slow');
        } else if (path === '/stream') {
          handle?.setRoute('/stream');
          res.writeHead(200, { 'content-type': 'text/plain' });
          for (let i = 0; i < queryInt(url, 'chunks', STREAM_CHUNKS); i++) {
            await sleep(STREAM_INTERVAL_MS);
            if (res.stream.destroyed) return;
            res.write(`chunk-${i}\n`);
          }
          res.end();
        } else if (path === '/upload') {
          handle?.setRoute('/upload');
          let bytes = 0;
          req.on('data', (chunk: Buffer) => {
            bytes += chunk.byteLength;
          });
          req.on('end', () => res.end(String(bytes)));
        } else {
          handle?.setRoute('/users/:id');
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        }
      })();
    });
    server.listen(0, '127.0.0.1');
    return closing(server);
  },
};

/** Fastify's `http2: true` server with the plugin. */
const fastifyTarget: Http2Target = {
  name: 'fastify',
  async start(options) {
    const app = Fastify({ http2: true, forceCloseConnections: true });
    await app.register(otel, options);
    app.addContentTypeParser('application/octet-stream', (_request, payload, done) => {
      let bytes = 0;
      payload.on('data', (chunk: Buffer) => {
        bytes += chunk.byteLength;
      });
      payload.on('end', () => done(null, bytes));
      payload.on('error', (error) => done(error));
    });
    app.get('/slow', async (request) => {
      await sleep(queryInt(request.url, 'ms', SLOW_MS));
      return 'slow';
    });
    app.get('/stream', async (request, reply) => {
      const { Readable } = await import('node:stream');
      const count = queryInt(request.url, 'chunks', STREAM_CHUNKS);
      async function* chunks() {
        for (let i = 0; i < count; i++) {
          await sleep(STREAM_INTERVAL_MS);
          yield `chunk-${i}\n`;
        }
      }
      return reply.type('text/plain').send(Readable.from(chunks()));
    });
    app.post('/upload', async (request) => String(request.body));
    app.get('/users/:id', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const server = await closing(app.server as unknown as http2.Http2Server);
    return {
      url: server.url,
      close: () => Promise.all([app.close(), server.close()]).then(() => {}),
    };
  },
};

export const HTTP2_TARGETS: readonly Http2Target[] = [nodeTarget, fastifyTarget];

/** One request on `session`, cancelled at `point` (or completed); resolves when its stream closed. */
function oneStream(
  session: http2.ClientHttp2Session,
  point: Http2Point,
  random: () => number,
  id: number,
): Promise<void> {
  const cancel = (stream: http2.ClientHttp2Stream) => stream.close(http2.constants.NGHTTP2_CANCEL);
  const headers =
    point === 'mid-body'
      ? {
          ':method': 'POST',
          ':path': `/upload?i=${id}`,
          'content-type': 'application/octet-stream',
          'content-length': String(UPLOAD_BYTES),
        }
      : point === 'before-headers'
        ? { ':path': `/slow?ms=${SLOW_MS}&i=${id}` }
        : point === 'mid-stream'
          ? { ':path': `/stream?chunks=${STREAM_CHUNKS}&i=${id}` }
          : { ':path': `/users/${id}?i=${id}` };
  const stream = session.request(headers);
  stream.on('error', () => {});
  const closed = once(stream, 'close').then(() => {});
  if (point === 'before-headers') {
    stream.end();
    setTimeout(() => cancel(stream), Math.floor(random() * 125));
  } else if (point === 'mid-body') {
    stream.write(Buffer.alloc(Math.floor(random() * (UPLOAD_BYTES - 1)), 0x61));
    setTimeout(() => cancel(stream), Math.floor(random() * 20));
  } else if (point === 'mid-stream') {
    stream.end();
    const after = 1 + Math.floor(random() * 3);
    let seen = '';
    stream.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if ((seen.match(/chunk-/g) ?? []).length >= after) cancel(stream);
    });
  } else {
    stream.end();
    stream.resume();
  }
  return closed;
}

export interface Http2CancelResult {
  target: string;
  requests: number;
  byPoint: Record<Http2Point, number>;
  spansEnded: number;
  /** Cancelled streams not recorded as `error.type=aborted`, completed ones recorded as failures. */
  wrongOutcome: string[];
  /** A status code although no head was sent, or none although it was. */
  wrongStatus: string[];
  wrongRoute: string[];
  activeRequestsAtEnd: number;
  durationCount: number;
}

/** Runs `requests` streams against one target and checks every span. */
export async function runHttp2Cancels(
  target: Http2Target,
  {
    requests,
    concurrency = 40,
    seed = 5,
  }: { requests: number; concurrency?: number; seed?: number },
): Promise<Http2CancelResult> {
  const telemetry = createTelemetry();
  const server = await target.start(telemetry.options);
  const random = seededRandom(seed);
  const plan = Array.from({ length: requests }, () => pick(random, POINTS));
  const byPoint = { 'before-headers': 0, 'mid-body': 0, 'mid-stream': 0, completed: 0 };
  for (const point of plan) byPoint[point]++;
  const sessions = Array.from({ length: SESSIONS }, () => {
    const session = http2.connect(server.url);
    session.on('error', () => {});
    return session;
  });
  try {
    await pool(
      requests,
      concurrency,
      (i) =>
        oneStream(
          sessions[i % SESSIONS] as http2.ClientHttp2Session,
          plan[i] as Http2Point,
          random,
          i,
        ),
      60_000,
    );
    await waitFor(() => telemetry.spans().length >= requests, 10_000);
    await sleep(300);
    const spans = telemetry.spans();
    const pointOf = (span: ReadableSpan): Http2Point | undefined =>
      plan[Number(/(?:^|&)i=(\d+)/.exec(String(span.attributes['url.query'] ?? ''))?.[1])];
    const wrongOutcome: string[] = [];
    const wrongStatus: string[] = [];
    const wrongRoute: string[] = [];
    for (const span of spans) {
      const point = pointOf(span);
      const label = `${point ?? '?'} ${span.name} ${String(span.attributes['url.query'])}`;
      const errorType = span.attributes['error.type'];
      const status = span.attributes['http.response.status_code'];
      if (point === 'completed' ? errorType !== undefined : errorType !== 'aborted') {
        wrongOutcome.push(`${label}: error.type ${String(errorType)}`);
      }
      const expected = point === 'mid-stream' || point === 'completed' ? 200 : undefined;
      if (status !== expected) wrongStatus.push(`${label}: status code ${String(status)}`);
      if (point !== undefined && span.attributes['http.route'] !== ROUTE_OF[point]) {
        wrongRoute.push(`${label}: route ${String(span.attributes['http.route'])}`);
      }
    }
    const points = await telemetry.points(METRIC.duration);
    return {
      target: target.name,
      requests,
      byPoint,
      spansEnded: spans.length,
      wrongOutcome: wrongOutcome.slice(0, 20),
      wrongStatus: wrongStatus.slice(0, 20),
      wrongRoute: wrongRoute.slice(0, 20),
      activeRequestsAtEnd: await activeRequests(telemetry),
      durationCount: points.reduce((sum, p) => sum + (p.value as { count: number }).count, 0),
    };
  } finally {
    for (const session of sessions) session.destroy();
    await server.close();
    await telemetry.shutdown();
  }
}
