/**
 * The span of one WebSocket connection, independent of the WebSocket library and of the runtime:
 * counts and bytes each way, capped message events, the close code and reason, the first failure.
 * `traceWebSocket` (a `ws` socket on Node) and the Hono adapter's `traceUpgradeWebSocket` (Hono's
 * WebSocket helpers on Node, Bun, Deno and Workers) feed it what their stack reports.
 */
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
import { REQUEST_HANDLE_KEY } from './request-context.js';
import type { OtelHttpOptions, RequestHandle } from './types.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

/** Settings of a traced WebSocket connection. */
export interface WebSocketSessionOptions {
  /**
   * The route template, for the span name (`WS /chat`) and `http.route`. Default: the route of
   * the handshake request in `context`, when the adapter knows it.
   */
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

/**
 * A connection span and what a WebSocket stack reports into it. Made by
 * {@link startWebSocketSession}, for a stack the adapters do not wrap themselves.
 */
export interface WebSocketSessionRecorder extends WebSocketSession {
  /** Counts one message: `data` as the stack has it (text, bytes, a `Blob`, an array of parts). */
  message(direction: 'received' | 'sent', data: unknown, binary: boolean): void;
  /** Notes a failure of the connection; the first one is the span's `error.type` and exception. */
  error(error: unknown): void;
  /** Ends the span with the close `code` and `reason` as the stack reports them. Only the first call counts. */
  close(code?: unknown, reason?: unknown): void;
  /** Whether {@link WebSocketSessionRecorder.close} was called. */
  readonly closed: boolean;
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
const ABNORMAL_CLOSURE = 1006;
const NORMAL_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005]);
const MAX_CLOSE_REASON_LENGTH = 123; // the protocol's limit, in bytes; text is cut at that many characters
const DEFAULT_MAX_MESSAGE_EVENTS = 100;

/**
 * Starts the span of a WebSocket connection that has just opened, as a child of the handshake
 * request's span in `options.context` (default: the active context). A handshake request still
 * open in that context is ended there, with status 101: the connection never holds a place in
 * `http.server.active_requests`. The span ends with {@link WebSocketSessionRecorder.close}.
 */
export function startWebSocketSession(
  options: WebSocketSessionOptions = {},
): WebSocketSessionRecorder {
  const parent = options.context ?? context.active();
  const handshake = parent.getValue(REQUEST_HANDLE_KEY) as RequestHandle | undefined;
  handshake?.end({ statusCode: 101 });
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer = provider.getTracer(SCOPE_NAME, SCOPE_VERSION);
  const route = nonEmpty(options.route) ?? nonEmpty(handshake?.route);
  const span = tracer.startSpan(
    route === undefined ? 'WS' : `WS ${route}`,
    { kind: SpanKind.INTERNAL, attributes: route === undefined ? {} : { 'http.route': route } },
    parent,
  );
  return new Recorder(span, trace.setSpan(parent, span), eventCap(options.maxMessageEvents));
}

/**
 * Ends the upgrade request being handled in `ctx` (default: the active context) with status 101,
 * for a runtime that upgrades the connection outside the response the handler returns (Bun's
 * `server.upgrade`, whose placeholder response is never sent). Returns `false` outside an
 * instrumented request.
 */
export function acceptUpgrade(ctx: Context = context.active()): boolean {
  const handle = ctx.getValue(REQUEST_HANDLE_KEY) as RequestHandle | undefined;
  if (handle === undefined) return false;
  handle.end({ statusCode: 101 });
  return true;
}

class Recorder implements WebSocketSessionRecorder {
  readonly span: Span;
  readonly context: Context;
  private readonly cap: number;
  private readonly recording: boolean;
  private received = 0;
  private sent = 0;
  private bytesReceived = 0;
  private bytesSent = 0;
  private failure: string | undefined;
  private ended = false;

  constructor(span: Span, ctx: Context, cap: number) {
    this.span = span;
    this.context = ctx;
    this.cap = cap;
    this.recording = span.isRecording();
  }

  get closed(): boolean {
    return this.ended;
  }

  message(direction: 'received' | 'sent', data: unknown, binary: boolean): void {
    if (this.ended) return;
    const size = byteLength(data);
    if (direction === 'received') {
      this.received++;
      this.bytesReceived += size;
    } else {
      this.sent++;
      this.bytesSent += size;
    }
    if (!this.recording || this.received + this.sent > this.cap) return;
    this.span.addEvent(WEBSOCKET_ATTRIBUTES.messageEvent, {
      [WEBSOCKET_ATTRIBUTES.direction]: direction,
      [WEBSOCKET_ATTRIBUTES.size]: size,
      [WEBSOCKET_ATTRIBUTES.binary]: binary,
    });
  }

  error(error: unknown): void {
    if (this.ended || this.failure !== undefined) return;
    const { code, name } = (typeof error === 'object' && error !== null ? error : {}) as {
      code?: unknown;
      name?: unknown;
    };
    this.failure = typeof code === 'string' ? code : typeof name === 'string' ? name : 'Error';
    if (this.recording && error instanceof Error) this.span.recordException(error);
  }

  close(code?: unknown, reason?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.recording) {
      this.span.end();
      return;
    }
    const attributes: Attributes = {
      [WEBSOCKET_ATTRIBUTES.messagesReceived]: this.received,
      [WEBSOCKET_ATTRIBUTES.messagesSent]: this.sent,
      [WEBSOCKET_ATTRIBUTES.bytesReceived]: this.bytesReceived,
      [WEBSOCKET_ATTRIBUTES.bytesSent]: this.bytesSent,
    };
    const total = this.received + this.sent;
    if (total > this.cap) attributes[WEBSOCKET_ATTRIBUTES.eventsDropped] = total - this.cap;
    const closeCode = closeCodeOf(code);
    if (closeCode !== undefined) attributes[WEBSOCKET_ATTRIBUTES.closeCode] = closeCode;
    const text = reasonText(reason);
    if (text !== '') attributes[WEBSOCKET_ATTRIBUTES.closeReason] = text;
    try {
      this.span.setAttributes(attributes);
      const abnormal = closeCode !== undefined && !NORMAL_CLOSE_CODES.has(closeCode);
      if (this.failure !== undefined || abnormal) {
        const lost = closeCode === ABNORMAL_CLOSURE;
        // A plain `Error` (Deno's 'Unexpected EOF' for a lost connection) says less than the
        // close does; its message is in the exception event.
        const failure = this.failure === 'Error' && lost ? undefined : this.failure;
        this.span.setAttribute('error.type', failure ?? (lost ? 'aborted' : String(closeCode)));
        this.span.setStatus({ code: SpanStatusCode.ERROR });
      }
    } finally {
      this.span.end();
    }
  }
}

type ByteLength = (text: string) => number;
/** Node's and Bun's fast UTF-8 count where there is a `Buffer`; a loop elsewhere. */
const utf8Length: ByteLength =
  (globalThis as { Buffer?: { byteLength: ByteLength } }).Buffer?.byteLength ?? countUtf8;

function countUtf8(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else {
      // A surrogate pair is 4 bytes for 2 units; any other unit, a lone surrogate (sent as
      // U+FFFD) included, is 3 bytes for 1.
      bytes += 2;
      const next = text.charCodeAt(i + 1);
      if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return bytes;
}

/** The size in bytes of a message as a WebSocket stack hands it over. */
export function byteLength(data: unknown): number {
  if (typeof data === 'string') return utf8Length(data);
  if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) return data.byteLength;
  if (Array.isArray(data)) return data.reduce((sum: number, part) => sum + byteLength(part), 0);
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data.size;
  if (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer) {
    return data.byteLength;
  }
  return 0;
}

/**
 * The close code as reported, or 1006 — the code the WebSocket API gives a connection lost
 * without a close frame — for a number outside the protocol's range (Deno reports 0 then).
 */
function closeCodeOf(code: unknown): number | undefined {
  if (typeof code !== 'number' || !Number.isInteger(code)) return undefined;
  return code >= 1000 && code <= 4999 ? code : ABNORMAL_CLOSURE;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function reasonText(reason: unknown): string {
  const text =
    typeof reason === 'string'
      ? reason
      : ArrayBuffer.isView(reason)
        ? new TextDecoder().decode(reason)
        : '';
  return text.length > MAX_CLOSE_REASON_LENGTH ? text.slice(0, MAX_CLOSE_REASON_LENGTH) : text;
}

function eventCap(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_MESSAGE_EVENTS;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  logger.warn(
    `WebSocket session: maxMessageEvents must be a whole number of 0 or more; using ${DEFAULT_MAX_MESSAGE_EVENTS}`,
  );
  return DEFAULT_MAX_MESSAGE_EVENTS;
}
