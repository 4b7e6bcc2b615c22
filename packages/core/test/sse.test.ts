import { request } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_STREAM_HEADERS,
  eventStream,
  formatEvent,
  lastEventId,
  type ServerSentEvent,
} from '../src/index.js';
import { createTelemetry, registerGlobals, startServer } from './harness.js';

let restoreGlobals: () => void;
const closers: Array<() => Promise<void>> = [];
beforeAll(() => {
  restoreGlobals = registerGlobals();
});
afterAll(() => restoreGlobals());
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` ticks `intervalMs` apart, after the first; notes when the source is finished. */
function ticks(count: number, intervalMs: number, done: { finished: boolean }) {
  return (async function* () {
    try {
      for (let n = 1; n <= count; n++) {
        if (n > 1) await sleep(intervalMs);
        yield { id: String(n), event: 'tick', data: { n } } satisfies ServerSentEvent;
      }
    } finally {
      done.finished = true;
    }
  })();
}

/** A server answering `/events` with `eventStream(source())`. */
async function eventServer(
  t: ReturnType<typeof createTelemetry>,
  source: () => AsyncIterable<ServerSentEvent>,
  options: Parameters<typeof eventStream>[1] = {},
) {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200, EVENT_STREAM_HEADERS);
    // As an application does it: a client that leaves destroys the pipeline, which closes the source.
    pipeline(Readable.from(eventStream(source(), options)), res, () => {});
  });
  closers.push(server.close);
  return server;
}

describe('formatEvent', () => {
  it.each<[ServerSentEvent, string]>([
    [{ data: 'hello' }, 'data: hello\n\n'],
    [{ id: '7', event: 'tick', data: { n: 1 } }, 'event: tick\nid: 7\ndata: {"n":1}\n\n'],
    [{ data: 'a\nb\r\nc\rd' }, 'data: a\ndata: b\ndata: c\ndata: d\n\n'],
    [{ data: '' }, 'data: \n\n'],
    [{ retry: 3000 }, 'retry: 3000\n\n'],
    [{ retry: -1, data: 'x' }, 'data: x\n\n'],
    [{ comment: 'keep-alive' }, ': keep-alive\n\n'],
    [{}, ':\n\n'],
    // A line break in a one-line field would start a field of the client's choosing.
    [{ id: '1\ndata: forged', event: 'a\rb\0c' }, 'event: a b c\nid: 1 data: forged\n\n'],
  ])('%j', (message, text) => {
    expect(formatEvent(message)).toBe(text);
  });

  it('sends data that cannot be JSON empty instead of throwing', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(formatEvent({ data: circular })).toBe('data: \n\n');
    expect(formatEvent({ data: 10n as unknown })).toBe('data: \n\n');
  });
});

describe('eventStream on a server', () => {
  it('records first-message time, duration, count, Last-Event-ID and one event per message', async () => {
    const t = createTelemetry();
    const done = { finished: false };
    const server = await eventServer(t, () => ticks(4, 30, done));
    const response = await fetch(`${server.url}/events`, { headers: { 'last-event-id': '3' } });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const body = await response.text();
    expect(body.match(/^data: .*$/gm)).toEqual([
      'data: {"n":1}',
      'data: {"n":2}',
      'data: {"n":3}',
      'data: {"n":4}',
    ]);
    const [span] = await t.waitForSpans(1);
    const attributes = span?.attributes ?? {};
    expect(attributes['sse.last_event_id']).toBe('3');
    expect(attributes['sse.messages']).toBe(4);
    expect(attributes['sse.message_events_dropped']).toBeUndefined();
    const first = attributes['sse.time_to_first_message'] as number;
    const duration = attributes['sse.stream.duration'] as number;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(duration + first);
    expect(duration).toBeGreaterThanOrEqual(0.085);
    expect(span?.events.map((event) => event.attributes)).toEqual(
      ['1', '2', '3', '4'].map((id) => ({ 'sse.event.id': id, 'sse.event.type': 'tick' })),
    );
    expect(done.finished).toBe(true);
  });

  it('caps the message events and counts the rest', async () => {
    const t = createTelemetry();
    const server = await eventServer(t, () => ticks(5, 1, { finished: false }), {
      maxMessageEvents: 2,
    });
    await (await fetch(`${server.url}/events`)).text();
    const [span] = await t.waitForSpans(1);
    expect(span?.events).toHaveLength(2);
    expect(span?.attributes['sse.messages']).toBe(5);
    expect(span?.attributes['sse.message_events_dropped']).toBe(3);
    expect(span?.attributes['sse.last_event_id']).toBeUndefined();
  });

  it('a client that hangs up mid-stream: the span ends once, with what was sent, and the source is closed', async () => {
    const t = createTelemetry();
    const done = { finished: false };
    const server = await eventServer(t, () => ticks(1000, 10, done));
    await new Promise<void>((resolve, reject) => {
      const req = request(`${server.url}/events`, (res) => {
        let frames = 0;
        res.on('data', (chunk: Buffer) => {
          frames += chunk.toString().split('\n\n').length - 1;
          if (frames >= 3) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (error) => {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
      });
      req.end();
    });
    const [span] = await t.waitForSpans(1);
    await sleep(50);
    expect(t.spans()).toHaveLength(1);
    expect(span?.attributes['error.type']).toBe('aborted');
    const sent = span?.attributes['sse.messages'] as number;
    expect(sent).toBeGreaterThanOrEqual(3);
    expect(sent).toBeLessThan(1000);
    expect(span?.attributes['sse.stream.duration']).toBeGreaterThan(0);
    const active = await t.metric('http.server.active_requests');
    expect(active?.dataPoints.map((point) => point.value)).toEqual([0]);
    await sleep(30);
    expect(done.finished).toBe(true);
  });

  it('bounds a hostile Last-Event-ID', async () => {
    const t = createTelemetry();
    const server = await eventServer(t, () => ticks(1, 0, { finished: false }));
    await (
      await fetch(`${server.url}/events`, { headers: { 'last-event-id': 'x'.repeat(10_000) } })
    ).text();
    const [span] = await t.waitForSpans(1);
    expect(span?.attributes['sse.last_event_id']).toBe('x'.repeat(256));
  });

  it('with an unsampled request, only formats', async () => {
    const t = createTelemetry(new AlwaysOffSampler());
    const server = await eventServer(t, () => ticks(2, 1, { finished: false }));
    const body = await (await fetch(`${server.url}/events`)).text();
    expect(body).toBe('event: tick\nid: 1\ndata: {"n":1}\n\nevent: tick\nid: 2\ndata: {"n":2}\n\n');
    await sleep(20);
    expect(t.spans()).toHaveLength(0);
  });

  it('lastEventId() reads the header of the request being handled', async () => {
    const t = createTelemetry();
    const seen: Array<string | undefined> = [];
    const server = await startServer(t, (_req, res) => {
      seen.push(lastEventId());
      res.end();
    });
    closers.push(server.close);
    await (await fetch(server.url, { headers: { 'last-event-id': '41' } })).text();
    await (await fetch(server.url)).text();
    expect(seen).toEqual(['41', undefined]);
    expect(lastEventId()).toBeUndefined();
  });
});

describe('eventStream outside a request', () => {
  it('is a web ReadableStream too, and cancelling it closes the source', async () => {
    const done = { finished: false };
    const stream = eventStream(ticks(100, 1, done)).toReadableStream();
    const reader = stream.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('event: tick\nid: 1\ndata: {"n":1}\n\n');
    await reader.cancel();
    expect(done.finished).toBe(true);
    const whole = await new Response(
      eventStream([{ data: 'a' }, { data: 'b' }]).toReadableStream(),
    ).text();
    expect(whole).toBe('data: a\n\ndata: b\n\n');
  });

  it('warns about a bad maxMessageEvents and uses the default', async () => {
    const frames: string[] = [];
    for await (const frame of eventStream([{ data: 1 }], { maxMessageEvents: -3 }))
      frames.push(frame);
    expect(frames).toEqual(['data: 1\n\n']);
  });
});
