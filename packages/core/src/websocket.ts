/**
 * WebSocket sessions on Node (`ws`, which `@fastify/websocket` and `@hono/node-ws` use too): the
 * handshake request is an ordinary server span answered `101`, and the connection gets a span of
 * its own, from the upgrade to the close, with message counts and bytes each way, the close code
 * and reason, and capped message events. Listeners of the socket run in the connection's context,
 * so that the spans a message handler starts join the trace.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { logger } from './diag.js';
import { createServerInstrumentation } from './lifecycle.js';
import { bindEmitterToContext, requestInfoFromNode } from './node.js';
import { REQUEST_HANDLE_KEY } from './request-context.js';
import type { OtelHttpOptions, RequestHandle } from './types.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

/** What is used of a `ws` WebSocket: an event emitter with `send` and `close`. */
export interface WebSocketLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  send(data: unknown, ...rest: unknown[]): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/** Settings of {@link traceWebSocket}. */
export interface WebSocketSessionOptions {
  /** The route template, for the span name (`WS /chat`) and `http.route`. */
  readonly route?: string;
  /**
   * How many messages (both directions) get a `websocket.message` event; the rest are counted in
   * `websocket.message_events_dropped`, so a long session does not grow its span without bound.
   * Default 100; 0 records none.
   */
  readonly maxMessageEvents?: number;
  /** The tracer provider; default the global one. */
  readonly tracerProvider?: OtelHttpOptions['tracerProvider'];
  /** The context the connection span starts in; default the active one (the handshake's). */
  readonly context?: Context;
}

/** A traced connection. */
export interface WebSocketSession {
  /** The connection span (non-recording when the trace is not sampled). */
  readonly span: Span;
  /** The context the socket's listeners run in: the connection span is active in it. */
  readonly context: Context;
}

/** Span attributes and event names of a WebSocket connection (otel-http's own names). */
export const WEBSOCKET_ATTRIBUTES = Object.freeze({
  closeCode: 'websocket.close.code',
  closeReason: 'websocket.close.reason',
  messagesReceived: 'websocket.messages_received',
  messagesSent: 'websocket.messages_sent',
  bytesReceived: 'websocket.bytes_received',
  bytesSent: 'websocket.bytes_sent',
  eventsDropped: 'websocket.message_events_dropped',
  messageEvent: 'websocket.message',
  direction: 'websocket.message.direction',
  size: 'websocket.message.size',
  binary: 'websocket.message.binary',
});

/** Close codes of a normal end: normal closure, going away, and no status given. */
const NORMAL_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005]);
const MAX_CLOSE_REASON_LENGTH = 123; // the protocol's limit, in bytes; text is cut at that many characters
const DEFAULT_MAX_MESSAGE_EVENTS = 100;

/**
 * Traces the connection of `socket` until it closes. Call it when the socket opens, in the
 * handshake request's context (a `ws` `connection` listener, `@fastify/websocket`'s handler,
 * Hono's `onOpen`): the connection span is a child of the handshake's server span, and ends with
 * the close. A handshake request still open in that context is ended there, with status 101. Each socket is traced once; a second call returns the first session.
 */
export function traceWebSocket(
  socket: WebSocketLike,
  options: WebSocketSessionOptions = {},
): WebSocketSession {
  const traced = socket as WebSocketLike & { [kSession]?: WebSocketSession };
  const existing = traced[kSession];
  if (existing !== undefined) return existing;

  const parent = options.context ?? context.active();
  // The socket is open, so the handshake was answered 101. Stacks that route the upgrade through
  // the framework (`@fastify/websocket`) answer on a response that never closes: ending the
  // handshake here is what ends its span and gives back its place in active_requests.
  requestHandleIn(parent)?.end({ statusCode: 101 });
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer = provider.getTracer(SCOPE_NAME, SCOPE_VERSION);
  const route =
    typeof options.route === 'string' && options.route !== '' ? options.route : undefined;
  const span = tracer.startSpan(
    route === undefined ? 'WS' : `WS ${route}`,
    { kind: SpanKind.INTERNAL, attributes: route === undefined ? {} : { 'http.route': route } },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  const session: WebSocketSession = { span, context: ctx };
  traced[kSession] = session;

  const cap = eventCap(options.maxMessageEvents);
  const counts = { received: 0, sent: 0, bytesReceived: 0, bytesSent: 0 };
  const recording = span.isRecording();
  const record = (direction: 'received' | 'sent', size: number, binary: boolean) => {
    const total = counts.received + counts.sent;
    if (!recording || total > cap) return;
    span.addEvent(WEBSOCKET_ATTRIBUTES.messageEvent, {
      [WEBSOCKET_ATTRIBUTES.direction]: direction,
      [WEBSOCKET_ATTRIBUTES.size]: size,
      [WEBSOCKET_ATTRIBUTES.binary]: binary,
    });
  };

  socket.on('message', ((data: unknown, isBinary: unknown) => {
    const size = byteLength(data);
    counts.received++;
    counts.bytesReceived += size;
    record('received', size, isBinary === true);
  }) as (...args: never[]) => void);

  const send = socket.send;
  socket.send = function tracedSend(this: WebSocketLike, data: unknown, ...rest: unknown[]) {
    const size = byteLength(data);
    counts.sent++;
    counts.bytesSent += size;
    const binary = typeof data !== 'string' && !(isOptions(rest[0]) && rest[0].binary === false);
    record('sent', size, binary);
    return send.call(this, data, ...rest);
  };

  // A socket error ('Max payload size exceeded', an invalid frame) is noted where it is emitted,
  // not by a listener of ours: a socket without an error listener behaves as it would without
  // telemetry.
  let failure: string | undefined;
  const emit = socket.emit;
  socket.emit = function tracedEmit(
    this: WebSocketLike,
    event: string | symbol,
    ...args: unknown[]
  ) {
    if (event === 'error' && failure === undefined) {
      const error = args[0] as { code?: unknown; name?: unknown } | undefined;
      failure =
        typeof error?.code === 'string'
          ? error.code
          : typeof error?.name === 'string'
            ? error.name
            : 'Error';
      if (recording && error instanceof Error) span.recordException(error);
    }
    return emit.call(this, event, ...args);
  };

  let ended = false;
  socket.on('close', ((code: unknown, reason: unknown) => {
    if (ended) return;
    ended = true;
    const attributes: Attributes = {
      [WEBSOCKET_ATTRIBUTES.messagesReceived]: counts.received,
      [WEBSOCKET_ATTRIBUTES.messagesSent]: counts.sent,
      [WEBSOCKET_ATTRIBUTES.bytesReceived]: counts.bytesReceived,
      [WEBSOCKET_ATTRIBUTES.bytesSent]: counts.bytesSent,
    };
    const total = counts.received + counts.sent;
    if (total > cap) attributes[WEBSOCKET_ATTRIBUTES.eventsDropped] = total - cap;
    const closeCode = typeof code === 'number' && Number.isInteger(code) ? code : undefined;
    if (closeCode !== undefined) attributes[WEBSOCKET_ATTRIBUTES.closeCode] = closeCode;
    const text = reasonText(reason);
    if (text !== '') attributes[WEBSOCKET_ATTRIBUTES.closeReason] = text;
    try {
      if (recording) {
        span.setAttributes(attributes);
        const abnormal = closeCode !== undefined && !NORMAL_CLOSE_CODES.has(closeCode);
        if (failure !== undefined || abnormal) {
          span.setAttribute(
            'error.type',
            failure ?? (closeCode === 1006 ? 'aborted' : String(closeCode)),
          );
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
    } finally {
      span.end();
    }
  }) as (...args: never[]) => void);

  // Added after ours, so that a handler sees the counts with its own message included.
  bindEmitterToContext(socket, ctx);
  return session;
}

const kSession = Symbol('@otel-http/core websocket session');

/** Options of {@link upgradeListener}: core's options, and the route of the upgrade requests. */
export interface UpgradeOptions extends OtelHttpOptions {
  /** The route template of the upgrade request (`/chat`), or how to find it from the request. */
  readonly upgradeRoute?: string | ((request: IncomingMessage) => string | undefined);
}

/** A Node server's `upgrade` listener. */
export type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Wraps a Node server's `upgrade` listener (where `ws`'s `handleUpgrade` is called for Express and
 * Koa, whose routers never see an upgrade) so that the handshake gets its server span, like any
 * request: `GET /chat`, with the status the listener answers (`101` once `ws` accepts, `401` when
 * it refuses), ended when that status line is written, or as aborted when the socket closes
 * without one. `listener` runs in the handshake's context, so `traceWebSocket` started from it
 * makes the connection span its child. `http.server.active_requests` is raised only until the
 * handshake ends, never for the connection's lifetime.
 */
export function upgradeListener(
  options: UpgradeOptions,
  listener: UpgradeListener,
): UpgradeListener {
  const { upgradeRoute, ...rest } = options;
  const instrumentation = createServerInstrumentation(rest);
  return (request, socket, head) => {
    let handle: RequestHandle | undefined;
    try {
      handle = instrumentation.start(requestInfoFromNode(request));
      const route = typeof upgradeRoute === 'function' ? upgradeRoute(request) : upgradeRoute;
      if (handle !== undefined && typeof route === 'string') handle.setRoute(route);
    } catch (error) {
      logger.error(
        'starting the telemetry of an upgrade request failed; it is not recorded',
        error,
      );
      handle = undefined;
    }
    if (handle === undefined) {
      listener(request, socket, head);
      return;
    }
    endOnUpgradeResponse(handle, socket);
    context.with(handle.context, () => {
      try {
        listener(request, socket, head);
      } catch (error) {
        handle?.recordError(error);
        throw error;
      }
    });
  };
}

/**
 * Ends the handshake `handle` with the status of the first response line written to `socket`
 * (`101` when `ws` accepts). When the socket closes with none written, it ends with
 * `refusedStatus` if that is not a success (a refusal written another way), else as aborted.
 * For adapters whose upgrade stack writes the handshake response on the socket itself
 * (`@hono/node-ws`).
 */
export function endOnUpgradeResponse(
  handle: RequestHandle,
  socket: Duplex,
  refusedStatus?: number,
): void {
  const write = socket.write;
  const restore = () => {
    if (socket.write === tracedWrite) socket.write = write;
  };
  const tracedWrite = function (this: Duplex, chunk: unknown, ...rest: unknown[]) {
    restore();
    const head =
      typeof chunk === 'string'
        ? chunk.slice(0, 16)
        : Buffer.isBuffer(chunk)
          ? chunk.toString('latin1', 0, 16)
          : '';
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    handle.end(match ? { statusCode: Number(match[1]) } : { aborted: true });
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Duplex['write'];
  socket.write = tracedWrite;
  socket.once('close', () => {
    restore();
    const refused = typeof refusedStatus === 'number' && refusedStatus >= 300;
    handle.end(refused ? { statusCode: refusedStatus } : { aborted: true });
  });
}

/** The handshake request's handle in `ctx`, if any. */
function requestHandleIn(ctx: Context): RequestHandle | undefined {
  return ctx.getValue(REQUEST_HANDLE_KEY) as RequestHandle | undefined;
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (Buffer.isBuffer(data) || ArrayBuffer.isView(data)) return data.byteLength;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (Array.isArray(data)) return data.reduce((sum: number, part) => sum + byteLength(part), 0);
  return 0;
}

function isOptions(value: unknown): value is { binary?: boolean } {
  return typeof value === 'object' && value !== null;
}

function reasonText(reason: unknown): string {
  const text = Buffer.isBuffer(reason)
    ? reason.toString('utf8')
    : typeof reason === 'string'
      ? reason
      : '';
  return text.length > MAX_CLOSE_REASON_LENGTH ? text.slice(0, MAX_CLOSE_REASON_LENGTH) : text;
}

function eventCap(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_MESSAGE_EVENTS;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  logger.warn(
    `traceWebSocket: maxMessageEvents must be a whole number of 0 or more; using ${DEFAULT_MAX_MESSAGE_EVENTS}`,
  );
  return DEFAULT_MAX_MESSAGE_EVENTS;
}
