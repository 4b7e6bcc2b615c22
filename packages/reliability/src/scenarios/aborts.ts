/**
 * Client aborts: requests whose client goes away at a random point — before the response head
 * (`GET /slow`), in the middle of the request body (`POST /upload`), in the middle of a streamed
 * response (`GET /stream`) — by closing (FIN) or resetting (RST) the connection. Every one must
 * end exactly one span, as a failure (`error.type` = `aborted`), with its route, and leave
 * `http.server.active_requests` at 0.
 */
import type { Socket } from 'node:net';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { openAndWrite, pool, rawRequest, send, waitFor } from '../client.js';
import { pick, seededRandom } from '../random.js';
import { SLOW, type Target } from '../targets.js';
import { activeRequests, createTelemetry, METRIC } from '../telemetry.js';

export type AbortPoint = 'before-headers' | 'mid-body' | 'mid-stream';
const POINTS: readonly AbortPoint[] = ['before-headers', 'mid-body', 'mid-stream'];
const UPLOAD_BYTES = 64 * 1024;
/**
 * The aborted requests ask for a long delay and a long stream, so that the server cannot finish
 * the response before the client's hang-up lands even when the machine is busy: the client hangs
 * up within 125 ms (or 3 chunks), the server would answer after 1 s (or 60 chunks).
 */
const SLOW_MS = 1_000;
const STREAM_CHUNKS = 60;

const ROUTE_OF: Record<AbortPoint, string> = {
  'before-headers': '/slow',
  'mid-body': '/upload',
  'mid-stream': '/stream',
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function hangUp(socket: Socket, reset: boolean): void {
  if (reset) socket.resetAndDestroy();
  else socket.destroy();
}

/** Counts `chunk-` markers in what the stream has delivered so far. */
function waitForChunks(socket: Socket, count: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve();
    }
    function onData(chunk: Buffer) {
      seen += chunk.toString('latin1');
      if ((seen.match(/chunk-/g) ?? []).length >= count) done();
    }
    socket.on('data', onData);
  });
}

/** One aborted request; resolves once the client has hung up. */
async function abortOne(
  port: number,
  point: AbortPoint,
  random: () => number,
  id: number,
): Promise<void> {
  const reset = random() < 0.5;
  if (point === 'before-headers') {
    const socket = await openAndWrite(port, rawRequest('GET', `/slow?ms=${SLOW_MS}&i=${id}`, []));
    // Well before the handler answers.
    await sleep(Math.floor(random() * SLOW.delayMs * 0.5));
    hangUp(socket, reset);
  } else if (point === 'mid-body') {
    const head = `POST /upload?i=${id} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\ncontent-length: ${UPLOAD_BYTES}\r\n\r\n`;
    const part = Buffer.alloc(Math.floor(random() * (UPLOAD_BYTES - 1)), 0x61);
    const socket = await openAndWrite(port, Buffer.concat([Buffer.from(head, 'latin1'), part]));
    await sleep(Math.floor(random() * 20));
    hangUp(socket, reset);
  } else {
    const socket = await openAndWrite(
      port,
      rawRequest('GET', `/stream?chunks=${STREAM_CHUNKS}&i=${id}`, []),
    );
    const after = 1 + Math.floor(random() * 3);
    await waitForChunks(socket, after, 5_000);
    hangUp(socket, reset);
  }
}

export interface AbortOptions {
  requests: number;
  concurrency?: number;
  seed?: number;
}

export interface AbortResult {
  target: string;
  requests: number;
  byPoint: Record<AbortPoint, number>;
  spansEnded: number;
  /** Spans not marked as a failure with `error.type` = `aborted`. */
  notAborted: string[];
  /** Spans whose route is not the one the request matched. */
  wrongRoute: string[];
  /** Spans with a status code although no response head was sent, or the reverse. */
  wrongStatus: string[];
  durationCount: number;
  durationNotAborted: number;
  activeRequestsAtEnd: number;
  serverAlive: boolean;
  durationMs: number;
}

/** Aborts `requests` requests against one target and checks every span. */
export async function runClientAborts(
  target: Target,
  { requests, concurrency = 50, seed = 7 }: AbortOptions,
): Promise<AbortResult> {
  const telemetry = createTelemetry();
  const server = await target.start(telemetry.options);
  const random = seededRandom(seed);
  const plan = Array.from({ length: requests }, () => pick(random, POINTS));
  const byPoint = { 'before-headers': 0, 'mid-body': 0, 'mid-stream': 0 } as Record<
    AbortPoint,
    number
  >;
  for (const point of plan) byPoint[point]++;
  const started = Date.now();
  try {
    await pool(
      requests,
      concurrency,
      (i) => abortOne(server.port, plan[i] as AbortPoint, random, i),
      60_000,
    );
    // Every abort must end its span promptly; give stragglers a bounded moment, then make sure
    // nothing more arrives (exactly one span per request).
    await waitFor(() => telemetry.spans().length >= requests, 10_000);
    await sleep(300);
    const durationMs = Date.now() - started;
    const spans = telemetry.spans();
    const pointOf = (span: ReadableSpan): AbortPoint | undefined => {
      const index = Number(/(?:^|&)i=(\d+)/.exec(String(span.attributes['url.query'] ?? ''))?.[1]);
      return plan[index];
    };
    const notAborted: string[] = [];
    const wrongRoute: string[] = [];
    const wrongStatus: string[] = [];
    for (const span of spans) {
      const point = pointOf(span);
      const label = `${point ?? '?'} ${span.name} ${String(span.attributes['url.query'])}`;
      if (span.status.code !== 2 || span.attributes['error.type'] !== 'aborted') {
        notAborted.push(
          `${label}: status ${span.status.code}, error.type ${String(span.attributes['error.type'])}`,
        );
      }
      if (point !== undefined && span.attributes['http.route'] !== ROUTE_OF[point]) {
        wrongRoute.push(`${label}: route ${String(span.attributes['http.route'])}`);
      }
      const status = span.attributes['http.response.status_code'];
      // Before the head, no status may be reported; mid-stream, the 200 was sent.
      if (
        (point === 'before-headers' && status !== undefined) ||
        (point === 'mid-stream' && status !== 200)
      ) {
        wrongStatus.push(`${label}: status code ${String(status)}`);
      }
    }
    const points = await telemetry.points(METRIC.duration);
    const count = (p: (typeof points)[number]) => (p.value as { count: number }).count;
    return {
      target: target.name,
      requests,
      byPoint,
      spansEnded: spans.length,
      notAborted: notAborted.slice(0, 20),
      wrongRoute: wrongRoute.slice(0, 20),
      wrongStatus: wrongStatus.slice(0, 20),
      durationCount: points.reduce((sum, p) => sum + count(p), 0),
      durationNotAborted: points
        .filter((p) => p.attributes['error.type'] !== 'aborted')
        .reduce((sum, p) => sum + count(p), 0),
      activeRequestsAtEnd: await activeRequests(telemetry),
      serverAlive: (await send(`${server.url}/users/after-aborts`)).status === 200,
      durationMs,
    };
  } finally {
    await server.close();
    await telemetry.shutdown();
  }
}
