/**
 * HTTP clients for the scenarios: `node:http` with an optional keep-alive agent for load, and raw
 * bytes over `node:net` for what a well-behaved client library refuses to send (duplicated or
 * non-ASCII headers, absolute-form targets, half-sent bodies). Every call has a time limit.
 */
import { type Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SendOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  agent?: Agent | false;
  timeoutMs?: number;
}

/** One request with `node:http`; rejects on a network error or after `timeoutMs`. */
export function send(url: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: options.agent ?? false,
      timeout: options.timeoutMs ?? 10_000,
    });
    // Without it, delayed ACKs make every keep-alive request wait for the peer's timer.
    req.once('socket', (socket) => socket.setNoDelay(true));
    req.once('timeout', () =>
      req.destroy(new Error(`timed out: ${options.method ?? 'GET'} ${url}`)),
    );
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.end(options.body);
  });
}

export interface RawReply {
  /** Status code of the first response, `undefined` when none arrived. */
  status: number | undefined;
  /** Everything the server sent, decoded as latin1 (byte for byte). */
  text: string;
  timedOut: boolean;
}

/**
 * Writes `bytes` on a fresh connection and reads until the server closes it (send
 * `connection: close`) or `timeoutMs` passes.
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer,
  timeoutMs = 5_000,
): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {
      // A reset after the response is normal for hostile requests; the bytes read so far count.
    });
    socket.once('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : undefined, text, timedOut });
    });
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

/** The body of a raw HTTP/1.1 response (after the blank line), de-chunked, as UTF-8. */
export function rawBody(text: string): string {
  return Buffer.from(rawBodyBytes(text), 'latin1').toString('utf8');
}

function rawBodyBytes(text: string): string {
  const split = text.indexOf('\r\n\r\n');
  if (split === -1) return '';
  const head = text.slice(0, split).toLowerCase();
  const body = text.slice(split + 4);
  if (!head.includes('transfer-encoding: chunked')) return body;
  let out = '';
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(body.slice(at, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
  return out;
}

/**
 * Builds a raw request head: header lines are written exactly as given, duplicates included. A
 * `host: 127.0.0.1` line is added unless the given headers have one.
 */
export function rawRequest(
  method: string,
  target: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body = '',
): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'connection: close'];
  if (!headers.some(([name]) => name.toLowerCase() === 'host')) lines.push('host: 127.0.0.1');
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (body.length > 0) lines.push(`content-length: ${Buffer.byteLength(body, 'latin1')}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Opens a connection, writes `bytes`, and hands the socket to `then` once they are flushed: the
 * abort scenarios decide there when to destroy it.
 */
export function openAndWrite(port: number, bytes: string | Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.write(bytes, () => {
      socket.off('error', reject);
      // Later errors (the reset we cause ourselves) are expected.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

export interface PoolResult<T> {
  /** Results in completion order; a rejected task is recorded as its error. */
  results: Array<{ index: number; value?: T; error?: unknown }>;
  /** Tasks not started because the deadline passed. */
  skipped: number;
}

/**
 * Runs `count` tasks, at most `concurrency` at a time; no task starts after `deadlineMs`
 * (from now). Bounded in count and in time.
 */
export async function pool<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
  deadlineMs = 120_000,
): Promise<PoolResult<T>> {
  const deadline = Date.now() + deadlineMs;
  const results: PoolResult<T>['results'] = [];
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const index = next++;
      try {
        results.push({ index, value: await task(index) });
      } catch (error) {
        results.push({ index, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { results, skipped: count - next };
}

/** Waits until `predicate` holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return predicate();
}
