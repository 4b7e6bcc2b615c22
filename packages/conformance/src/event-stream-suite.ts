/**
 * The event-stream suite: the same server-sent-events checks for every adapter, each serving
 * `GET /events` natively with its framework's body type and core's `eventStream`. Real clients read
 * a whole stream, hang up in the middle of one, and reconnect with `Last-Event-ID`.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { EventStreamOptions, OtelHttpOptions, ServerSentEvent } from '@otel-http/core';
import { lastEventId } from '@otel-http/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceServer } from './harness.js';
import { sleep } from './routes.js';
import { CheckTelemetry, registerGlobals } from './telemetry.js';
import { waitFor } from './wait.js';

/** What an adapter hands the suite. */
export interface EventStreamHarness {
  /** Name printed in the suite's title, e.g. `express`. */
  readonly name: string;
  /**
   * Starts the framework with `otel(options)` and `GET /events`, which answers with the adapter's
   * `EVENT_STREAM_HEADERS` and the body of `eventStream(messages(), streamOptions)` — `messages`
   * called in the handler, as the framework's body type wants it (`Readable.from()`,
   * `toReadableStream()`).
   */
  start(
    options: OtelHttpOptions,
    messages: () => AsyncIterable<ServerSentEvent>,
    streamOptions: EventStreamOptions,
  ): Promise<ConformanceServer>;
}

/** Ticks `intervalMs` apart, numbered after the `Last-Event-ID` the client sent (resuming there). */
function ticks(count: number, intervalMs: number, closed: { count: number }) {
  return () => {
    const from = Number(lastEventId() ?? 0) + 1;
    return (async function* () {
      try {
        for (let n = from; n < from + count; n++) {
          if (n > from) await sleep(intervalMs);
          yield { id: String(n), event: 'tick', data: { n } } satisfies ServerSentEvent;
        }
      } finally {
        closed.count++;
      }
    })();
  };
}

/** Reads `/events` until `frames` messages arrived, then hangs up; resolves with their ids. */
function readThenHangUp(url: string, frames: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/events`, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const ids = [...text.matchAll(/^id: (.*)$/gm)].map((match) => match[1] ?? '');
        if (text.split('\n\n').length - 1 >= frames) {
          req.destroy();
          resolve(ids.slice(0, frames));
        }
      });
    });
    req.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
    req.end();
  });
}

/** Registers the event-stream checks for one adapter. Call it at the top level of a test file. */
export function runEventStreamSuite(harness: EventStreamHarness): void {
  describe(`otel-http event streams: ${harness.name}`, () => {
    let unregisterGlobals: (() => void) | undefined;
    let telemetry: CheckTelemetry;
    let server: ConformanceServer | undefined;
    beforeAll(() => {
      unregisterGlobals = registerGlobals();
    });
    afterAll(() => unregisterGlobals?.());
    afterEach(async () => {
      await server?.close();
      server = undefined;
      await telemetry.shutdown();
    });

    async function start(
      messages: () => AsyncIterable<ServerSentEvent>,
      streamOptions: EventStreamOptions = {},
    ) {
      telemetry = new CheckTelemetry();
      server = await harness.start(
        {
          tracerProvider: telemetry.tracerProvider,
          meterProvider: telemetry.meterProvider,
        },
        messages,
        streamOptions,
      );
      return server;
    }

    it('a whole stream: the frames, and the server span with count, timings and one event per message', async () => {
      const closed = { count: 0 };
      const { url } = await start(ticks(4, 20, closed));
      const response = await fetch(`${url}/events`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const body = await response.text();
      expect(body).toBe(
        [1, 2, 3, 4].map((n) => `event: tick\nid: ${n}\ndata: {"n":${n}}\n\n`).join(''),
      );
      const [span] = await telemetry.waitForSpans(1);
      expect(span?.name).toBe('GET /events');
      const attributes = span?.attributes ?? {};
      expect(attributes['http.route']).toBe('/events');
      expect(attributes['sse.messages']).toBe(4);
      expect(attributes['sse.time_to_first_message']).toBeGreaterThan(0);
      expect(attributes['sse.stream.duration']).toBeGreaterThanOrEqual(0.055);
      expect(attributes['sse.last_event_id']).toBeUndefined();
      expect(span?.events.map((event) => [event.name, event.attributes?.['sse.event.id']])).toEqual(
        [1, 2, 3, 4].map((n) => ['sse.message', String(n)]),
      );
      expect(closed.count).toBe(1);
    });

    it('a client that hangs up, then reconnects with Last-Event-ID: two spans, each ended once, the source closed each time', async () => {
      const closed = { count: 0 };
      const { url } = await start(ticks(1000, 10, closed), { maxMessageEvents: 5 });
      const received = await readThenHangUp(url, 3);
      expect(received).toEqual(['1', '2', '3']);
      const [first] = await telemetry.waitForSpans(1);
      expect(first?.attributes['error.type']).toBe('aborted');
      const sentBefore = first?.attributes['sse.messages'] as number;
      expect(sentBefore).toBeGreaterThanOrEqual(3);
      expect(sentBefore).toBeLessThan(1000);
      expect(first?.events).toHaveLength(Math.min(sentBefore, 5));
      await waitFor('the source to be closed', () => (closed.count === 1 ? true : undefined));

      // Without Last-Event-ID the stream starts over; with it, after the id the client sends
      // back (what EventSource does on its own when it reconnects).
      expect(await readThenHangUp(url, 2)).toEqual(['1', '2']);
      const again = await new Promise<string>((resolve, reject) => {
        const req = request(`${url}/events`, { headers: { 'last-event-id': '3' } }, (res) => {
          res.once('data', (chunk: Buffer) => {
            req.destroy();
            resolve(chunk.toString());
          });
        });
        req.on('error', (error) => {
          if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
        });
        req.end();
      });
      expect(again).toMatch(/^event: tick\nid: 4\n/);
      const spans = await telemetry.waitForSpans(3);
      expect(spans).toHaveLength(3);
      expect(spans[2]?.attributes['sse.last_event_id']).toBe('3');
      await waitFor('every source to be closed', () => (closed.count === 3 ? true : undefined));
      await sleep(20);
      expect(telemetry.spans()).toHaveLength(3);
      const active = await telemetry.counter('http.server.active_requests');
      expect(active.map((point) => point.value)).toEqual([0]);
    });

    it('a client that never reads: the source is read only as far as the socket takes it, and all ends once it goes', async () => {
      const closed = { count: 0 };
      let produced = 0;
      // As fast as it is pulled: without backpressure it would make hundreds of thousands a second.
      const { url } = await start(() =>
        (async function* () {
          try {
            for (;;) {
              produced++;
              yield { id: String(produced), data: 'x'.repeat(1024) };
            }
          } finally {
            closed.count++;
          }
        })(),
      );
      const { port } = new URL(url);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.pause();
      socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await sleep(800);
      // Backpressure: once the socket's buffers are full (a few MB), no more is pulled.
      expect(produced).toBeGreaterThan(0);
      expect(produced).toBeLessThan(20_000);
      socket.destroy();
      const [span] = await telemetry.waitForSpans(1);
      await waitFor('the source to be closed', () => (closed.count === 1 ? true : undefined));
      expect(span?.attributes['error.type']).toBe('aborted');
      expect(span?.attributes['sse.messages']).toBe(produced);
      expect(telemetry.spans()).toHaveLength(1);
      expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);
    });
  });
}
