/**
 * Server-sent events with their telemetry: one helper that formats an `text/event-stream` body
 * from the application's messages and records the stream on the request's server span — the same
 * in every framework, because it only needs the active context and gives back an async iterable
 * of text (a Node `Readable.from()` or a web `ReadableStream` away from any framework's body).
 */
import { type Attributes, context, type Span, trace } from '@opentelemetry/api';
import { logger } from './diag.js';
import { handleInternals } from './lifecycle.js';
import { REQUEST_HANDLE_KEY } from './request-context.js';

/** One message of an event stream. */
export interface ServerSentEvent {
  /**
   * The message's data. A string is sent as is (one `data:` line per line of it); anything else
   * is sent as its JSON. Left out: a message with no data (only `id`, `event`, `retry`).
   */
  readonly data?: unknown;
  /** The event id the client sends back as `Last-Event-ID` when it reconnects. */
  readonly id?: string;
  /** The event type (`addEventListener(type)` in the browser); the browser's default is `message`. */
  readonly event?: string;
  /** How long the client waits before reconnecting, in milliseconds (a whole number). */
  readonly retry?: number;
  /** A comment line (`: …`), which clients ignore: a keep-alive. */
  readonly comment?: string;
}

/** Settings of {@link eventStream}. */
export interface EventStreamOptions {
  /**
   * The span the stream is recorded on. Default: the request's server span, found in the active
   * context when `eventStream()` is called.
   */
  readonly span?: Span;
  /**
   * How many messages get an `sse.message` event on the span; the rest are counted
   * (`sse.message_events_dropped`), so that a long stream does not grow its span without bound.
   * Default 100; 0 records none.
   */
  readonly maxMessageEvents?: number;
}

/** The headers an event stream is answered with. */
export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
});

/** Longest `Last-Event-ID` read and recorded; a longer one is cut. */
export const MAX_LAST_EVENT_ID_LENGTH = 256;

/** Default of {@link EventStreamOptions.maxMessageEvents}. */
export const DEFAULT_MAX_MESSAGE_EVENTS = 100;

/** Span attributes and event of an event stream (otel-http's own: no semantic convention has them). */
export const SSE_ATTRIBUTES = Object.freeze({
  lastEventId: 'sse.last_event_id',
  timeToFirstMessage: 'sse.time_to_first_message',
  duration: 'sse.stream.duration',
  messages: 'sse.messages',
  eventsDropped: 'sse.message_events_dropped',
  messageEvent: 'sse.message',
  eventId: 'sse.event.id',
  eventType: 'sse.event.type',
});

/**
 * The `Last-Event-ID` the client sent with the request being handled (a reconnecting
 * `EventSource` sends the id of the last message it received), or `undefined`. Line breaks and
 * NUL end it, and it is cut to 256 characters (`MAX_LAST_EVENT_ID_LENGTH`).
 */
export function lastEventId(ctx = context.active()): string | undefined {
  const internals = handleInternals(ctx.getValue(REQUEST_HANDLE_KEY));
  const header = internals?.requestInfo.header('last-event-id');
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.length === 0) return undefined;
  const cut = value.slice(0, MAX_LAST_EVENT_ID_LENGTH);
  const end = cut.search(/[\r\n\0]/);
  return end === -1 ? cut : cut.slice(0, end) || undefined;
}

/** An event stream body: iterate it for the `text/event-stream` text, or make it a web stream. */
export interface EventStream extends AsyncIterable<string> {
  /** The same body as a web `ReadableStream` of UTF-8 bytes (Hono, `Response`). */
  toReadableStream(): ReadableStream<Uint8Array>;
}

/**
 * The `text/event-stream` body of `messages`, recording the stream on the request's server span:
 *
 * - `sse.last_event_id`: the client's `Last-Event-ID`, when it reconnects with one;
 * - `sse.time_to_first_message` (s): from the request's start to its first message;
 * - `sse.stream.duration` (s): from the start of the stream to the end of the request, also when
 *   the client hangs up first;
 * - `sse.messages`: the messages sent;
 * - an `sse.message` event per message (`sse.event.id`, `sse.event.type`), at most
 *   {@link EventStreamOptions.maxMessageEvents}; `sse.message_events_dropped` counts the rest.
 *
 * Answer with {@link EVENT_STREAM_HEADERS}. The messages are read one at a time, as the client
 * takes them; when the client goes away the stream is closed, which ends the iteration of
 * `messages` (its `finally` runs). Line breaks and NUL in `id`, `event` and `comment` would start
 * other fields, so they are replaced by spaces. Outside an instrumented request (or with an
 * unsampled one) it is only a formatter.
 */
export function eventStream(
  messages: AsyncIterable<ServerSentEvent> | Iterable<ServerSentEvent>,
  options: EventStreamOptions = {},
): EventStream {
  const active = context.active();
  const internals = handleInternals(active.getValue(REQUEST_HANDLE_KEY));
  const span = options.span ?? trace.getSpan(active);
  const recording = span?.isRecording() === true ? span : undefined;
  const cap = eventCap(options.maxMessageEvents);
  const requestStart = internals?.startedAt;

  let sent = 0;
  let streamStart: number | undefined;
  if (recording !== undefined) {
    const resumeFrom = lastEventId(active);
    if (resumeFrom !== undefined) recording.setAttribute(SSE_ATTRIBUTES.lastEventId, resumeFrom);
    const endAttributes = (): Attributes | undefined => {
      if (streamStart === undefined) return undefined;
      const attributes: Attributes = {
        [SSE_ATTRIBUTES.messages]: sent,
        [SSE_ATTRIBUTES.duration]: (performance.now() - streamStart) / 1000,
      };
      if (sent > cap) attributes[SSE_ATTRIBUTES.eventsDropped] = sent - cap;
      return attributes;
    };
    if (internals !== undefined) internals.onEndAttributes(endAttributes);
  }

  const onMessage = (message: ServerSentEvent) => {
    sent++;
    if (recording === undefined || !recording.isRecording()) return;
    if (sent === 1 && requestStart !== undefined) {
      recording.setAttribute(
        SSE_ATTRIBUTES.timeToFirstMessage,
        (performance.now() - requestStart) / 1000,
      );
    }
    if (sent > cap) return;
    const attributes: Attributes = {};
    if (typeof message.id === 'string') attributes[SSE_ATTRIBUTES.eventId] = oneLine(message.id);
    if (typeof message.event === 'string') {
      attributes[SSE_ATTRIBUTES.eventType] = oneLine(message.event);
    }
    recording.addEvent(SSE_ATTRIBUTES.messageEvent, attributes);
  };

  async function* frames(): AsyncGenerator<string> {
    streamStart = performance.now();
    // A plain iterable is read as one: `for await` over it would add a promise per message.
    if (!(Symbol.asyncIterator in messages)) {
      for (const message of messages) {
        const frame = formatEvent(message);
        onMessage(message);
        yield frame;
      }
      return;
    }
    for await (const message of messages) {
      const frame = formatEvent(message);
      onMessage(message);
      yield frame;
    }
  }

  return {
    [Symbol.asyncIterator]: () => frames(),
    toReadableStream() {
      const encoder = new TextEncoder();
      const iterator = frames();
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        },
        async cancel() {
          await iterator.return(undefined);
        },
      });
    },
  };
}

/**
 * One message in the `text/event-stream` format, ending with the blank line that dispatches it.
 * A message of nothing sendable is a comment line, so that it still reaches the client.
 */
export function formatEvent(message: ServerSentEvent): string {
  let frame = '';
  if (typeof message.comment === 'string') frame += `: ${oneLine(message.comment)}\n`;
  if (typeof message.event === 'string') frame += `event: ${oneLine(message.event)}\n`;
  if (typeof message.id === 'string') frame += `id: ${oneLine(message.id)}\n`;
  if (Number.isSafeInteger(message.retry) && (message.retry as number) >= 0) {
    frame += `retry: ${message.retry}\n`;
  }
  if (message.data !== undefined) {
    const text = typeof message.data === 'string' ? message.data : jsonOf(message.data);
    for (const line of text.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
  }
  return frame === '' ? ':\n\n' : `${frame}\n`;
}

function jsonOf(data: unknown): string {
  try {
    return JSON.stringify(data) ?? '';
  } catch (error) {
    logger.warn(
      'an event stream message has data that cannot be made JSON; it is sent empty',
      error,
    );
    return '';
  }
}

/** `text` on one line: line breaks and NUL, which would end the field, become spaces. */
function oneLine(text: string): string {
  return /[\r\n\0]/.test(text) ? text.replace(/[\r\n\0]/g, ' ') : text;
}

function eventCap(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_MESSAGE_EVENTS;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  logger.warn(
    `eventStream: maxMessageEvents must be a whole number of 0 or more; using ${DEFAULT_MAX_MESSAGE_EVENTS}`,
  );
  return DEFAULT_MAX_MESSAGE_EVENTS;
}
