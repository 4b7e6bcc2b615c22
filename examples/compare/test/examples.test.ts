// The four examples over real HTTP, in this process, with the real SDK registered globally (as
// `startTelemetry` does) and spans kept in memory: every route answers as documented and records
// the spans, events and metrics the README describes.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTestSdk } from './support/sdk.js';

process.env.LOG_LEVEL = 'silent';
const sdk = registerTestSdk();
const { send, TRAFFIC } = await import('../src/traffic.js');
const EXAMPLES = {
  express: await import('@otel-http/example-express/app'),
  fastify: await import('@otel-http/example-fastify/app'),
  hono: await import('@otel-http/example-hono/app'),
  koa: await import('@otel-http/example-koa/app'),
};

afterAll(() => sdk.shutdown());

const SERVER = 1;
const CLIENT = 2;
const ERROR = 2;

const serverSpan = (spans: ReadableSpan[]) => spans.filter((span) => span.kind === SERVER);
const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
const millis = ([seconds, nanos]: [number, number]) => seconds * 1e3 + nanos / 1e6;

describe.each(Object.keys(EXAMPLES) as Array<keyof typeof EXAMPLES>)('the %s example', (name) => {
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    server = await EXAMPLES[name].startServer({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => server.close());

  it('answers every scripted request as the script expects, with one SERVER span per recorded request', async () => {
    for (const request of TRAFFIC) {
      const sent = await send(server.url, request);
      expect(sent.status, request.label).toBe(request.status);
      if (request.ignored) continue;
      const spans = await sdk.spansOf(sent.traceId);
      const servers = serverSpan(spans);
      expect(servers, request.label).toHaveLength(1);
      const [span] = servers;
      expect(span.name).toBe(request.route ? `${request.method} ${request.route}` : request.method);
      expect(span.attributes['http.route']).toBe(request.route ?? undefined);
      expect(span.attributes['http.response.status_code']).toBe(request.status);
      // It continues the trace the client started.
      expect(span.parentSpanContext?.spanId).toBe(sent.parentSpanId);
    }
  });

  it('records nothing for GET /health', async () => {
    const sent = await send(server.url, { method: 'GET', path: '/health' });
    expect(sent.status).toBe(200);
    // The next request's span arriving shows that the health check's would have had time to.
    const next = await send(server.url, { method: 'GET', path: '/' });
    await sdk.spansOf(next.traceId);
    expect(await sdk.spansOf(sent.traceId, () => true)).toEqual([]);
  });

  it('GET /users/:id queries the database in a CLIENT child span with db.* attributes', async () => {
    const response = await fetch(`${server.url}/users/2`);
    expect(await response.json()).toEqual({ id: '2', name: 'Alan Turing' });
    const sent = await send(server.url, { method: 'GET', path: '/users/2' });
    const spans = await sdk.spansOf(sent.traceId);
    const [query] = childrenOf(spans, serverSpan(spans)[0]);
    expect(query).toMatchObject({
      name: 'SELECT users',
      kind: CLIENT,
      attributes: {
        'db.system.name': 'other_sql',
        'db.namespace': 'shop',
        'db.collection.name': 'users',
        'db.operation.name': 'SELECT',
        'db.query.text': 'SELECT id, name FROM users WHERE id = ?',
      },
    });
  });

  it('GET /orders/:id loads the user and the products in parallel child spans', async () => {
    const response = await fetch(`${server.url}/orders/2`);
    const order = await response.json();
    expect(order.user).toEqual({ id: '2', name: 'Alan Turing' });
    expect(order.products.map((product: { id: string }) => product.id)).toEqual(['p2', 'p3']);

    const sent = await send(server.url, { method: 'GET', path: '/orders/2' });
    const spans = await sdk.spansOf(sent.traceId);
    const children = childrenOf(spans, serverSpan(spans)[0]);
    expect(children.map((span) => span.name).sort()).toEqual([
      'SELECT orders',
      'SELECT products',
      'SELECT users',
    ]);
    const users = children.find((span) => span.name === 'SELECT users') as ReadableSpan;
    const products = children.find((span) => span.name === 'SELECT products') as ReadableSpan;
    const order_ = children.find((span) => span.name === 'SELECT orders') as ReadableSpan;
    // Both start after the order is loaded and before the other one has ended. (Span start and
    // end times are finer than a millisecond, event times are not: compare with 1 ms of slack.)
    expect(millis(users.startTime)).toBeGreaterThan(millis(order_.endTime) - 1);
    expect(millis(users.startTime)).toBeLessThan(millis(products.endTime));
    expect(millis(products.startTime)).toBeLessThan(millis(users.endTime));
  });

  it('POST /orders creates a valid order (201) and refuses an invalid or malformed one (400)', async () => {
    const post = (body: string) =>
      fetch(`${server.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const created = await post(
      JSON.stringify({ userId: '1', items: [{ productId: 'p2', quantity: 3 }] }),
    );
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      id: expect.any(String),
      userId: '1',
      items: [{ productId: 'p2', quantity: 3 }],
    });

    const invalid = await post(
      JSON.stringify({ userId: '1', items: [{ productId: 'p1', quantity: 100 }] }),
    );
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({
      error: 'invalid order',
      issues: ['items[0].quantity must be a whole number from 1 to 99'],
    });

    const malformed = await post('{"userId": ');
    expect(malformed.status).toBe(400);
    await malformed.arrayBuffer();
  });

  it('GET /error answers 500 and marks the span ERROR with the error class and an exception event', async () => {
    const response = await fetch(`${server.url}/error`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'internal error' });

    const sent = await send(server.url, { method: 'GET', path: '/error' });
    const [span] = serverSpan(await sdk.spansOf(sent.traceId));
    expect(span.status.code).toBe(ERROR);
    expect(span.attributes['error.type']).toBe('InventoryUnavailableError');
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
    expect(span.events[0].attributes?.['exception.message']).toBe(
      'the inventory service did not answer',
    );
  });

  it('GET /events streams server-sent events, each one a span event, and the span ends after the last', async () => {
    const response = await fetch(`${server.url}/events`);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await response.text();
    expect(text.match(/^event: tick$/gm)).toHaveLength(3);
    expect(text).toContain('data: {"n":3,"of":3}');

    const sent = await send(server.url, { method: 'GET', path: '/events' });
    const [span] = serverSpan(await sdk.spansOf(sent.traceId));
    expect(span.events.map((event) => [event.name, event.attributes?.['sse.event.id']])).toEqual([
      ['sse.message', '1'],
      ['sse.message', '2'],
      ['sse.message', '3'],
    ]);
    // The span covers the whole stream, not just the headers: it ends after the last message.
    expect(millis(span.endTime)).toBeGreaterThan(millis(span.events[2].time) - 1);
  });

  it('counts every request in http.server.request.duration by route and status', async () => {
    const countOf = async (route: string | undefined, status: number) => {
      const points = await sdk.durationPoints();
      const point = points.find(
        (candidate) =>
          candidate.attributes['http.route'] === route &&
          candidate.attributes['http.response.status_code'] === status,
      );
      return point?.value.count ?? 0;
    };
    const before = await Promise.all([countOf('/users/:id', 200), countOf(undefined, 404)]);
    for (const path of ['/users/1', '/users/3', '/nowhere']) {
      const sent = await send(server.url, { method: 'GET', path });
      await sdk.spansOf(sent.traceId);
    }
    const after = await Promise.all([countOf('/users/:id', 200), countOf(undefined, 404)]);
    expect(after).toEqual([before[0] + 2, before[1] + 1]);
  });
});
