/**
 * The WebSocket suite: the same checks for every adapter's usual WebSocket stack (`ws` on Express
 * and Koa servers, `@fastify/websocket`, `@hono/node-ws`), each serving `/chat` natively. Real `ws`
 * clients talk, close, hang up without a close frame and send an oversized frame.
 */

import type { Server } from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { OtelHttpOptions } from '@otel-http/core';
import { withSpan } from '@otel-http/core';
import type {
  UpgradeListener,
  UpgradeOptions,
  WebSocketLike,
  WebSocketSessionOptions,
} from '@otel-http/core/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { ConformanceServer } from './harness.js';
import { sleep } from './routes.js';
import { whenListening } from './server.js';
import { CheckTelemetry, registerGlobals } from './telemetry.js';
import { waitFor } from './wait.js';

/** Largest message `/chat` accepts, in bytes; a larger one closes the connection with 1009. */
export const CHAT_MAX_PAYLOAD = 4096;

/** The titles of the suite's checks, for runners that declare them before the run. */
export const WEBSOCKET_CHECKS = Object.freeze({
  session:
    'a session: a 101 handshake span, a connection span to the close with counts, bytes, code and reason; handlers join it',
  dropped:
    'a client that drops the TCP connection mid-session: the connection span ends once, as aborted (1006)',
  oversized:
    'an oversized frame: the server closes with 1009; the connection span records the error once',
  capped: 'a long session keeps at most maxMessageEvents message events and counts the rest',
});

/** What each adapter's `/chat` does, and how the suite starts it. */
export interface WebSocketHarness {
  /** Name printed in the suite's title, e.g. `express (ws)`. */
  readonly name: string;
  /**
   * Whether the handshake span can carry `network.protocol.version`: not on a Fetch server (Bun,
   * Deno) that does not tell the HTTP version. Default `true`.
   */
  readonly protocolVersionKnown?: boolean;
  /**
   * Who refuses an oversized frame: `ws` (the default), which reports it as a socket error
   * (`WS_ERR_UNSUPPORTED_MESSAGE_LENGTH`) before dropping the connection; the runtime's own
   * WebSocket server (Bun's `maxPayloadLength`), which closes it with 1009 and tells the
   * application no more than an abnormal close (1006); or, where the server has no limit
   * (Deno's), the application's message handler, which closes with 1009 itself.
   */
  readonly closesOversizedWith?: 'ws' | 'runtime' | 'application';
  /**
   * Starts the framework with `otel(options)` and a WebSocket route `/chat` (route template
   * `/chat`, payloads up to {@link CHAT_MAX_PAYLOAD} bytes). On each connection it calls
   * `traceWebSocket(socket, { route: '/chat', tracerProvider: options.tracerProvider,
   * maxMessageEvents })`, answers every text message `m` with `echo:m`, sent from inside
   * `withSpan('chat.reply', …)`, and listens to the socket's `error` (as `ws` asks of every
   * application: an oversized frame is one).
   */
  start(
    options: OtelHttpOptions,
    session: { readonly maxMessageEvents?: number },
  ): Promise<ConformanceServer>;
}

/** The adapter functions {@link serveWsChat} wires in: what Express and Koa re-export. */
export interface WsUpgradeAdapter {
  upgradeListener(options: UpgradeOptions, listener: UpgradeListener): UpgradeListener;
  traceWebSocket(socket: WebSocketLike, options: WebSocketSessionOptions): unknown;
}

/**
 * `/chat` on a Node server whose framework never sees upgrades (Express, Koa): `ws` in
 * `noServer` mode behind the adapter's `upgradeListener`, as {@link WebSocketHarness} describes.
 * Listens on a loopback port.
 */
export async function serveWsChat(
  server: Server,
  options: OtelHttpOptions,
  session: { readonly maxMessageEvents?: number },
  adapter: WsUpgradeAdapter,
): Promise<ConformanceServer> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: CHAT_MAX_PAYLOAD });
  const onUpgrade = adapter.upgradeListener(
    { ...options, upgradeRoute: '/chat' },
    (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        adapter.traceWebSocket(ws, {
          route: '/chat',
          tracerProvider: options.tracerProvider,
          ...session,
        });
        ws.on('error', () => {});
        ws.on('message', (data) => {
          withSpan('chat.reply', () => ws.send(`echo:${String(data)}`), {
            tracer: options.tracerProvider?.getTracer('chat'),
          });
        });
      });
    },
  );
  server.on('upgrade', onUpgrade);
  server.listen(0, '127.0.0.1');
  const running = await whenListening(server);
  return {
    url: running.url,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await running.close();
    },
  };
}

/** Opens `/chat`; resolves once open, with the messages it receives collected as they come. */
async function connect(url: string): Promise<{ socket: WebSocket; received: string[] }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/chat`);
  const received: string[] = [];
  socket.on('message', (data) => received.push(String(data)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, received };
}

const closed = (socket: WebSocket) =>
  new Promise<{ code: number }>((resolve) => socket.once('close', (code) => resolve({ code })));

const byName = (spans: readonly ReadableSpan[], name: string) =>
  spans.filter((span) => span.name === name);

/** Registers the WebSocket checks for one adapter. Call it at the top level of a test file. */
export function runWebSocketSuite(harness: WebSocketHarness): void {
  describe(`otel-http WebSocket sessions: ${harness.name}`, () => {
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

    async function start(session: { maxMessageEvents?: number } = {}) {
      telemetry = new CheckTelemetry();
      server = await harness.start(telemetry.options, session);
      return server;
    }

    /** The connection spans, once `count` of them ended. */
    async function connectionSpans(count: number) {
      await waitFor(`${count} connection span(s)`, () =>
        byName(telemetry.spans(), 'WS /chat').length >= count ? true : undefined,
      );
      return byName(telemetry.spans(), 'WS /chat');
    }

    it(WEBSOCKET_CHECKS.session, async () => {
      const { url } = await start();
      const { socket, received } = await connect(url);
      const [handshake] = await telemetry.waitForSpans(1);
      // The handshake is over: the connection does not hold a request open.
      expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);
      for (const text of ['hi', 'how are you', 'bye']) socket.send(text);
      await waitFor('three replies', () => (received.length === 3 ? true : undefined));
      socket.close(1000, 'done');
      await closed(socket);
      const [connection] = await connectionSpans(1);

      expect(received).toEqual(['echo:hi', 'echo:how are you', 'echo:bye']);
      expect(handshake?.name).toBe('GET /chat');
      expect(handshake?.kind).toBe(SpanKind.SERVER);
      expect(handshake?.attributes['http.response.status_code']).toBe(101);
      expect(handshake?.attributes['http.route']).toBe('/chat');
      expect(handshake?.attributes['error.type']).toBeUndefined();
      // The same attributes as any request the framework serves: the handshake is one.
      if (harness.protocolVersionKnown !== false) {
        expect(handshake?.attributes['network.protocol.version']).toBe('1.1');
      }

      expect(connection?.parentSpanContext?.spanId).toBe(handshake?.spanContext().spanId);
      expect(connection?.spanContext().traceId).toBe(handshake?.spanContext().traceId);
      expect(connection?.attributes).toMatchObject({
        'http.route': '/chat',
        'websocket.messages_received': 3,
        'websocket.messages_sent': 3,
        'websocket.bytes_received': 2 + 11 + 3,
        'websocket.bytes_sent': 3 * 5 + 2 + 11 + 3,
        'websocket.close.code': 1000,
        'websocket.close.reason': 'done',
      });
      expect(connection?.attributes['error.type']).toBeUndefined();
      expect(
        connection?.events.map((event) => event.attributes?.['websocket.message.direction']),
      ).toEqual(['received', 'sent', 'received', 'sent', 'received', 'sent']);

      const replies = byName(telemetry.spans(), 'chat.reply');
      expect(replies).toHaveLength(3);
      for (const reply of replies) {
        expect(reply.parentSpanContext?.spanId).toBe(connection?.spanContext().spanId);
      }
      expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);
    });

    it(WEBSOCKET_CHECKS.dropped, async () => {
      const { url } = await start();
      const { socket, received } = await connect(url);
      socket.send('first');
      await waitFor('the reply', () => (received.length === 1 ? true : undefined));
      // No close frame: the TCP connection just goes.
      (socket as unknown as { _socket: { destroy(): void } })._socket.destroy();
      const [connection] = await connectionSpans(1);
      await sleep(30);
      expect(byName(telemetry.spans(), 'WS /chat')).toHaveLength(1);
      expect(connection?.attributes['websocket.close.code']).toBe(1006);
      expect(connection?.attributes['error.type']).toBe('aborted');
      expect(connection?.status.code).toBe(2);
      expect(connection?.attributes['websocket.messages_received']).toBe(1);
      expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);
    });

    it(WEBSOCKET_CHECKS.oversized, async () => {
      const { url } = await start();
      const { socket } = await connect(url);
      const closing = closed(socket);
      socket.send('x'.repeat(CHAT_MAX_PAYLOAD + 1));
      expect((await closing).code).toBe(1009);
      const [connection] = await connectionSpans(1);
      await sleep(30);
      expect(byName(telemetry.spans(), 'WS /chat')).toHaveLength(1);
      expect(connection?.status.code).toBe(2);
      if (harness.closesOversizedWith === 'application') {
        // The message reached the handler, which closed the connection with 1009 itself.
        expect(connection?.attributes['websocket.close.code']).toBe(1009);
        expect(connection?.attributes['error.type']).toBe('1009');
        expect(connection?.attributes['websocket.messages_received']).toBe(1);
        return;
      }
      if (harness.closesOversizedWith === 'runtime') {
        // The runtime sent 1009 and dropped the connection, telling the application only that it
        // closed abnormally (1006), not why.
        expect(connection?.attributes['websocket.close.code']).toBe(1006);
        expect(connection?.attributes['error.type']).toBe('aborted');
      } else {
        // ws sent 1009 and dropped the connection without waiting for the client's close frame,
        // so on its side the close is 1006; the error says why.
        expect(connection?.attributes['websocket.close.code']).toBe(1006);
        expect(connection?.attributes['error.type']).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
        expect(connection?.events.filter((event) => event.name === 'exception')).toHaveLength(1);
      }
      expect(connection?.attributes['websocket.messages_received']).toBe(0);
    });

    it(WEBSOCKET_CHECKS.capped, async () => {
      const { url } = await start({ maxMessageEvents: 10 });
      const { socket, received } = await connect(url);
      for (let i = 0; i < 150; i++) socket.send(`m${i}`);
      await waitFor('150 replies', () => (received.length === 150 ? true : undefined));
      socket.close(1001);
      await closed(socket);
      const [connection] = await connectionSpans(1);
      expect(connection?.events).toHaveLength(10);
      expect(connection?.attributes['websocket.message_events_dropped']).toBe(290);
      expect(connection?.attributes['websocket.messages_sent']).toBe(150);
      expect(connection?.attributes['websocket.close.code']).toBe(1001);
      expect(connection?.attributes['error.type']).toBeUndefined();
    });
  });
}
