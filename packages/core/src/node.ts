/**
 * `@otel-http/core/node`: reading a Node `IncomingMessage` and ending a request handle when its
 * `ServerResponse` closes — everything a Node framework adapter needs for start and end. Only
 * types are imported from `node:http`, so runtimes without it can still load this module.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { protocolVersionOf, splitTarget } from './http.js';
import type { RequestHandle, RequestInfo, ServerInstrumentation } from './types.js';

/** A {@link RequestInfo} over a Node request; peer fields are read only if asked for. */
class NodeRequestInfo implements RequestInfo {
  readonly method: string;
  readonly scheme: string;
  readonly path: string;
  readonly query: string | undefined;
  private readonly req: IncomingMessage;

  constructor(req: IncomingMessage) {
    this.req = req;
    this.method = req.method ?? 'GET';
    const socket = req.socket as (IncomingMessage['socket'] & { encrypted?: boolean }) | null;
    this.scheme = socket?.encrypted === true ? 'https' : 'http';
    const target = splitTarget(req.url ?? '/');
    this.path = target.path;
    this.query = target.query;
  }

  header(name: string): string | string[] | undefined {
    return this.req.headers[name];
  }

  headerNames(): string[] {
    return Object.keys(this.req.headers);
  }

  get peerAddress(): string | undefined {
    return this.req.socket?.remoteAddress;
  }

  get peerPort(): number | undefined {
    return this.req.socket?.remotePort;
  }

  get protocolVersion(): string | undefined {
    return protocolVersionOf(this.req.httpVersion);
  }
}

/** Reads a Node `IncomingMessage` (HTTP/1 or the HTTP/2 compatibility API) as a {@link RequestInfo}. */
export function requestInfoFromNode(req: IncomingMessage): RequestInfo {
  return new NodeRequestInfo(req);
}

/** Options of {@link endOnResponseClose}. */
export interface EndOnResponseCloseOptions {
  /**
   * Count the response body bytes written, for `http.server.response.body.size`. Wraps `write`
   * and `end` of this one response object. Default `false`.
   */
  countBodyBytes?: boolean;
  /** The request method; a `HEAD` response has no body bytes whatever the handler writes. */
  method?: string;
  /**
   * Keep the headers passed straight to `writeHead(status, headers)`, for response header capture:
   * Node does not store those where `getHeader` can read them. Default `false`.
   */
  keepWriteHeadHeaders?: boolean;
}

/**
 * Ends `handle` when `res` emits `'close'` — after the last byte of the body was handed to the
 * socket, or when the client went away first. A response that was not finished is reported as
 * `aborted`; the status code only if the head was actually sent.
 */
export function endOnResponseClose(
  handle: RequestHandle,
  res: ServerResponse,
  options: EndOnResponseCloseOptions = {},
): void {
  const counter =
    options.countBodyBytes && options.method !== 'HEAD' ? countBodyBytes(res) : undefined;
  const written = options.keepWriteHeadHeaders ? keepWriteHeadHeaders(res) : undefined;
  // 'close' is emitted once per response; `on` spares the wrapper `once` allocates per request.
  res.on('close', () => {
    handle.end({
      statusCode: res.headersSent ? res.statusCode : undefined,
      aborted: !res.writableFinished,
      responseBodySize: counter ? counter.bytes : options.countBodyBytes ? 0 : undefined,
      responseHeader: (name) => res.getHeader(name) ?? written?.get(name),
    });
  });
}

type HeaderValue = string | string[] | number;

/**
 * Records the headers argument of `writeHead` (object, `[name, value]` pairs or a flat list), by
 * lower-case name, and passes every call on unchanged.
 */
function keepWriteHeadHeaders(res: ServerResponse): Map<string, HeaderValue> {
  const headers = new Map<string, HeaderValue>();
  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload unchanged
  const writeHead = res.writeHead as (...args: any[]) => ServerResponse;
  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload unchanged
  res.writeHead = function (this: ServerResponse, ...args: any[]) {
    const given: unknown = typeof args[1] === 'string' ? args[2] : args[1];
    try {
      collectHeaders(given, headers);
    } catch {
      // Whatever shape it has, writeHead itself decides whether it is valid.
    }
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
  return headers;
}

function collectHeaders(given: unknown, into: Map<string, HeaderValue>): void {
  if (Array.isArray(given)) {
    const pairs = Array.isArray(given[0])
      ? (given as unknown[][])
      : Array.from({ length: Math.floor(given.length / 2) }, (_, i) => [
          given[2 * i],
          given[2 * i + 1],
        ]);
    for (const [name, value] of pairs) {
      if (typeof name === 'string') into.set(name.toLowerCase(), value as HeaderValue);
    }
  } else if (typeof given === 'object' && given !== null) {
    for (const [name, value] of Object.entries(given))
      into.set(name.toLowerCase(), value as HeaderValue);
  }
}

/** Counts body bytes passed to `write`/`end` of one response, without changing what is written. */
function countBodyBytes(res: ServerResponse): { bytes: number } {
  const counter = { bytes: 0 };
  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload unchanged
  const write = res.write as (...args: any[]) => boolean;
  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload unchanged
  const end = res.end as (...args: any[]) => ServerResponse;
  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload unchanged
  res.write = function (this: ServerResponse, chunk: any, ...rest: any[]) {
    counter.bytes += byteLengthOf(chunk, rest[0]);
    return write.call(this, chunk, ...rest);
  } as ServerResponse['write'];
  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload unchanged
  res.end = function (this: ServerResponse, chunk?: any, ...rest: any[]) {
    if (typeof chunk !== 'function') counter.bytes += byteLengthOf(chunk, rest[0]);
    return end.call(this, chunk, ...rest);
  } as ServerResponse['end'];
  return counter;
}

function byteLengthOf(chunk: unknown, encoding: unknown): number {
  if (chunk === undefined || chunk === null) return 0;
  if (typeof chunk === 'string') {
    return Buffer.byteLength(
      chunk,
      typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
    );
  }
  const length = (chunk as { byteLength?: unknown }).byteLength;
  return typeof length === 'number' ? length : 0;
}

/**
 * Starts the telemetry of a Node request: reads it, starts the handle, adds the trace response
 * header when enabled, and arranges for the handle to end when the response closes. Returns
 * `undefined` for an ignored request. The adapter then runs its chain in `handle.context` and
 * reports the route and errors.
 */
export function startNodeRequest(
  instrumentation: ServerInstrumentation,
  req: IncomingMessage,
  res: ServerResponse,
): RequestHandle | undefined {
  const handle = instrumentation.start(new NodeRequestInfo(req));
  if (handle === undefined) return undefined;
  if (handle.responseHeader !== undefined && !res.headersSent) {
    const [name, value] = handle.responseHeader;
    const existing = res.getHeader(name);
    res.setHeader(name, existing === undefined ? value : `${String(existing)}, ${value}`);
  }
  endOnResponseClose(handle, res, {
    countBodyBytes: instrumentation.config.metrics.responseBodySize,
    method: req.method,
    keepWriteHeadHeaders: instrumentation.config.captureResponseHeaders.length > 0,
  });
  return handle;
}

export type { RequestHandle, RequestInfo, ServerInstrumentation } from './types.js';
