/**
 * `@otel-http/core/node`: reading a Node `IncomingMessage` and ending a request handle when its
 * `ServerResponse` closes — everything a Node framework adapter needs for start and end. Only
 * types are imported from `node:http`, so runtimes without it can still load this module.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Context, context } from '@opentelemetry/api';
import { recordServerException } from './errors.js';
import { protocolVersionOf, splitTarget } from './http.js';
import { REQUEST_HANDLE_KEY } from './request-context.js';
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
 * socket, or when the client went away first. A response that was not finished, or was destroyed
 * with an error (then recorded as the request's error), is reported as `aborted`; the status code
 * only if the head was actually sent, and then the one it carried.
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
    // Destroyed with an error (a body stream that failed part way, as `pipeline` and
    // `@hono/node-server` do), a response may still look finished: the client got a truncated body.
    // HTTP/2's compatibility response keeps it on its stream, looked at only for a response that
    // did not finish.
    const finished = responseFinished(res);
    const error: unknown =
      res.errored ??
      (finished ? undefined : (res as { stream?: { errored?: unknown } }).stream?.errored);
    const failed = error !== null && error !== undefined;
    const bodySize = counter ? counter.bytes : options.countBodyBytes ? 0 : undefined;
    handle.end({
      statusCode: sentStatus(res),
      aborted: failed || !finished,
      error: failed ? error : undefined,
      // What a destroyed response wrote is not what the client got: no size is given for it.
      responseBodySize: failed ? undefined : bodySize,
      responseHeader: (name) => res.getHeader(name) ?? written?.get(name),
    });
  });
}

/**
 * Whether the whole response was handed over: the handler ended it and the last byte was flushed.
 * Both are needed for HTTP/1.1 and HTTP/2 alike: a stream the client cancels (`RST_STREAM`) makes
 * Node's `Http2ServerResponse` report `writableFinished` although the handler never ended it, and
 * an HTTP/1.1 socket that closes under an ended response leaves `writableFinished` false.
 */
export function responseFinished(res: Pick<ServerResponse, 'writableEnded' | 'writableFinished'>) {
  return res.writableEnded && res.writableFinished;
}

/**
 * The status code of the head that was sent, or `undefined` when none was. Frameworks may still
 * change `statusCode` after the head went out (Fastify's error path on a second `send`), so it is
 * read from what was sent: the status line Node keeps for an HTTP/1 response, the `:status` of the
 * HTTP/2 stream's sent headers. Reading them at the end costs nothing per request, where watching
 * `writeHead` would cost a wrapper on every response. `statusCode` when neither is there.
 */
function sentStatus(res: ServerResponse): number | undefined {
  const sent = res as ServerResponse & {
    stream?: { sentHeaders?: Record<string, unknown> };
    _header?: unknown;
  };
  // The status line of an HTTP/1 response (`HTTP/1.1 200 OK\r\n…`), looked at first: most
  // responses are HTTP/1 ones, and each property read costs where every response has a hidden
  // class of its own (Express on Node 20 and 22).
  const head = sent._header;
  if (typeof head === 'string') {
    const { statusCode, statusMessage } = res;
    // Node writes the status line with the reason phrase of the code it sends (`statusMessage`,
    // set then unless given before) and builds the head piece by piece: reading any character of
    // it first copies all of it (about 200 ns on Node 24). A code and phrase that went out together
    // before are taken as they stand; a code changed after the head went out no longer has its
    // phrase beside it, and the status line decides. Only a head sent with the phrase of another
    // code, whose code is then set to that one, would be misread.
    const known = typeof statusMessage === 'string';
    if (known && SENT_REASONS.get(statusCode) === statusMessage) return statusCode;
    const status = statusLineCode(head);
    if (status !== undefined) {
      if (known && status === statusCode) learnReason(status, statusMessage);
      return status;
    }
  }
  if (!res.headersSent) return undefined;
  const http2Status = sent.stream?.sentHeaders?.[':status'];
  if (http2Status !== undefined) {
    const status = Number(http2Status);
    if (Number.isInteger(status)) return status;
  }
  return res.statusCode;
}

/**
 * The reason phrase each status code was seen sent with, by {@link sentStatus}: the first one,
 * and only while no other code was seen with it (Node sends `unknown` for every code it has no
 * phrase for). Codes are three digits, so it holds at most 900.
 */
const SENT_REASONS = new Map<number, string>();
/** The code each phrase was seen with, `null` once a second one was; bounded, phrases are not. */
const REASON_CODES = new Map<string, number | null>();
const MAX_REASONS = 1000;

function learnReason(code: number, reason: string): void {
  const seen = REASON_CODES.get(reason);
  if (seen === undefined) {
    if (REASON_CODES.size >= MAX_REASONS) return;
    REASON_CODES.set(reason, code);
    if (!SENT_REASONS.has(code)) SENT_REASONS.set(code, reason);
  } else if (seen !== null && seen !== code) {
    REASON_CODES.set(reason, null);
    if (SENT_REASONS.get(seen) === reason) SENT_REASONS.delete(seen);
  }
}

/** The code of an HTTP/1 status line (`HTTP/1.1 200 OK`), or `undefined` for another head. */
function statusLineCode(head: string): number | undefined {
  if (!head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 32) return undefined;
  const status = Number(head.slice(9, 12));
  return Number.isInteger(status) && status >= 100 ? status : undefined;
}

type HeaderValue = string | string[] | number;

/**
 * Records the headers argument of `writeHead` (object, `[name, value]` pairs or a flat list), by
 * lower-case name, and passes every call on unchanged: Node does not store those where
 * `getHeader` can read them.
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

/**
 * Counts body bytes passed to `write`/`end` of one response, without changing what is written.
 * Node's `Http2ServerResponse.end(chunk)` writes its chunk through `this.write`: bytes written
 * from inside `end` are counted once, by `end`.
 */
function countBodyBytes(res: ServerResponse): { bytes: number } {
  const counter = { bytes: 0, ending: false };
  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload unchanged
  const write = res.write as (...args: any[]) => boolean;
  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload unchanged
  const end = res.end as (...args: any[]) => ServerResponse;
  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload unchanged
  res.write = function (this: ServerResponse, chunk: any, ...rest: any[]) {
    if (!counter.ending) counter.bytes += byteLengthOf(chunk, rest[0]);
    return write.call(this, chunk, ...rest);
  } as ServerResponse['write'];
  // biome-ignore lint/suspicious/noExplicitAny: forwards every overload unchanged
  res.end = function (this: ServerResponse, chunk?: any, ...rest: any[]) {
    if (typeof chunk !== 'function') counter.bytes += byteLengthOf(chunk, rest[0]);
    counter.ending = true;
    try {
      return end.call(this, chunk, ...rest);
    } finally {
      counter.ending = false;
    }
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
 * Reports an error the handler chain raised for a Node request. Until the head is sent it may
 * still decide the outcome ({@link RequestHandle.recordError}: core judges it by the status the
 * client gets). Once the head is out, the client has its status, whatever the framework does with
 * the error: it is recorded as an exception (when exceptions are recorded, in the configured
 * signal) and changes neither the status code nor `error.type`.
 */
export function recordNodeRequestError(
  instrumentation: ServerInstrumentation,
  handle: RequestHandle,
  res: Pick<ServerResponse, 'headersSent'>,
  error: unknown,
): void {
  if (handle.ended) return;
  if (!res.headersSent) {
    handle.recordError(error);
    return;
  }
  recordServerException(instrumentation, handle.span, error);
}

/** Where a bound emitter keeps the context its listeners run in, and the `emit` it had before. */
const kListenerContext = Symbol('@otel-http/core listener context');
const kEmit = Symbol('@otel-http/core emit');
/** Marks the `emit` {@link shareBoundEmit} installs on a prototype, and tells which kind it is. */
const kShared = Symbol('@otel-http/core shared emit');

type Emit = (event: string | symbol, ...args: unknown[]) => boolean;
type Listeners = (this: unknown, event: string | symbol) => number;
type SharedEmit = Emit & { [kShared]?: 'emitter' | 'response' };

interface BoundEmitter {
  emit: SharedEmit;
  listenerCount: Listeners;
  [kListenerContext]?: Context | undefined;
  [kEmit]?: Emit;
}

/**
 * Runs the listeners of one emitter in the context it was bound to. Shared by every request: a
 * bound emitter gets one data property and its own `emit`, no closure, no weak collection.
 * An event nobody listens to costs one `listenerCount`; the arguments are passed on as they came
 * (`arguments`, not a rest array, and no `this` for `context.with` to bind).
 */
function emitInListenerContext(this: BoundEmitter, event: string | symbol): boolean {
  // The `emit` it had, or the one of a prototype that shares the binding emit (kept there).
  const emit = this[kEmit] ?? (Object.getPrototypeOf(this) as BoundEmitter).emit;
  const bound = this[kListenerContext];
  // Nothing to switch when nobody listens, or when the emit happens inside the request's context
  // (synchronously from the handler chain).
  if (bound === undefined || this.listenerCount(event) === 0 || context.active() === bound) {
    // biome-ignore lint/complexity/noArguments: forwards every argument without copying them
    return Reflect.apply(emit, this, arguments);
  }
  // biome-ignore lint/complexity/noArguments: forwards every argument without copying them
  return context.with(bound, applyEmit, undefined, emit, this, arguments);
}

function applyEmit(emit: Emit, target: BoundEmitter, args: IArguments): boolean {
  return Reflect.apply(emit, target, args);
}

/**
 * Makes the listeners of `emitter` run in `ctx`, whenever they were added and whoever emits:
 * a body read with `req.on('data')` after the headers arrived, or a span started in
 * `res.on('finish')`, belongs to the request's trace — as with `@opentelemetry/instrumentation-http`.
 * Node emits those events from the socket, outside the context the handler chain runs in.
 */
export function bindEmitterToContext(emitter: object, ctx: Context): void {
  const target = emitter as BoundEmitter;
  const emit: SharedEmit | undefined = target.emit;
  if (emit !== emitInListenerContext && emit?.[kShared] !== 'emitter') {
    // Usually `emit` is the prototype's, found again from there; an own one is kept.
    if (Object.hasOwn(target, 'emit')) target[kEmit] = emit;
    target.emit = emitInListenerContext;
  }
  target[kListenerContext] = ctx;
}

/**
 * The `emit` {@link shareBoundEmit} installs: one per prototype, holding the prototype's `emit`
 * it replaces and its `listenerCount`, so that emitting reads as few properties of the emitter as
 * it can. Where every object has a hidden class of its own (Express on V8 before 13), each
 * property read once per request misses V8's inline caches. A response that follows its request
 * runs its listeners in the request's context; one bound itself has an `emit` of its own and never
 * comes here.
 */
function sharedEmit(original: Emit, listenerCount: Listeners, followRequest: boolean): SharedEmit {
  const emit: SharedEmit = function emitInBoundContext(
    this: BoundEmitter & { req?: BoundEmitter },
    event: string | symbol,
  ) {
    const bound = followRequest ? this.req?.[kListenerContext] : this[kListenerContext];
    if (
      bound === undefined ||
      listenerCount.call(this, event) === 0 ||
      context.active() === bound
    ) {
      // biome-ignore lint/complexity/noArguments: forwards every argument without copying them
      return Reflect.apply(original, this, arguments);
    }
    // biome-ignore lint/complexity/noArguments: forwards every argument without copying them
    return context.with(bound, applyEmit, undefined, original, this, arguments);
  };
  emit[kShared] = followRequest ? 'response' : 'emitter';
  return emit;
}

/** Options of {@link shareBoundEmit}. */
export interface ShareBoundEmitOptions {
  /**
   * The emitters are responses (`ServerResponse`), and each follows its request (`res.req`):
   * its listeners run in the context the request is bound to. {@link startNodeRequest} then binds
   * only the request, which spares the response its property. Default `false`.
   */
  followRequest?: boolean;
}

/**
 * Installs on `prototype` the `emit` that {@link bindEmitterToContext} gives each emitter, so that
 * binding an emitter inheriting it adds one property (its context) instead of two, or none for a
 * response that follows its request. For frameworks that give every request and response a
 * prototype of their own (Express): on Node 20 and 22 (V8 before 13) each property added to such
 * an object costs a hidden class of its own, about 1.8 µs. An emitter that inherits it and is not
 * bound emits as before. Once per prototype; the `emit` it had is kept.
 */
export function shareBoundEmit(prototype: object, options: ShareBoundEmitOptions = {}): void {
  const target = prototype as BoundEmitter;
  const kind = options.followRequest ? 'response' : 'emitter';
  const { emit, listenerCount } = target;
  if (typeof emit !== 'function' || typeof listenerCount !== 'function') return;
  if (emit[kShared] === kind) return;
  if (emit[kShared] === undefined) target[kEmit] = emit;
  target.emit = sharedEmit(target[kEmit] as Emit, listenerCount, kind === 'response');
}

/** Whether the listeners of `res` already follow `req`, with no binding of their own. */
function followsRequest(res: object, req: object): boolean {
  const response = res as BoundEmitter & { req?: unknown };
  return (
    (response.emit as SharedEmit | undefined)?.[kShared] === 'response' && response.req === req
  );
}

/**
 * The handle of the request `req` was bound to by {@link startNodeRequest}, for an adapter to
 * find its own state again ({@link RequestHandle.adapterState}); `undefined` for a request that
 * was never bound, or was unbound since.
 */
export function requestHandleOf(req: object): RequestHandle | undefined {
  const bound = (req as BoundEmitter)[kListenerContext];
  return bound === undefined
    ? undefined
    : (bound.getValue(REQUEST_HANDLE_KEY) as RequestHandle | undefined);
}

/**
 * Lets the listeners of `emitter` run in whatever context is active again: for a request that was
 * bound and then discarded (a route that opted out), whose span is never exported.
 */
export function unbindEmitter(emitter: object): void {
  const target = emitter as BoundEmitter;
  if (target[kListenerContext] !== undefined) target[kListenerContext] = undefined;
}

/**
 * Starts the telemetry of a Node request: reads it, starts the handle, adds the trace response
 * header when enabled, and arranges for the handle to end when the response closes. Returns
 * `undefined` for an ignored request. The listeners of `req` and `res` run in `handle.context`
 * (see {@link bindEmitterToContext}). The adapter then runs its chain in `handle.context` and
 * reports the route and errors.
 */
export function startNodeRequest(
  instrumentation: ServerInstrumentation,
  req: IncomingMessage,
  res: ServerResponse,
): RequestHandle | undefined {
  const info = new NodeRequestInfo(req);
  const handle = instrumentation.start(info);
  if (handle === undefined) return undefined;
  bindEmitterToContext(req, handle.context);
  if (!followsRequest(res, req)) bindEmitterToContext(res, handle.context);
  if (handle.responseHeader !== undefined && !res.headersSent) {
    const [name, value] = handle.responseHeader;
    const existing = res.getHeader(name);
    res.setHeader(name, existing === undefined ? value : `${String(existing)}, ${value}`);
  }
  endOnResponseClose(handle, res, {
    countBodyBytes: instrumentation.config.metrics.responseBodySize,
    method: info.method,
    keepWriteHeadHeaders: instrumentation.config.captureResponseHeaders.length > 0,
  });
  return handle;
}

export type { RequestHandle, RequestInfo, ServerInstrumentation } from './types.js';
export {
  endOnUpgradeResponse,
  traceWebSocket,
  type UpgradeListener,
  type UpgradeOptions,
  upgradeListener,
  WEBSOCKET_ATTRIBUTES,
  type WebSocketLike,
  type WebSocketSession,
  type WebSocketSessionOptions,
} from './websocket.js';
