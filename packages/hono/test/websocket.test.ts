import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import {
  BoomError,
  CHAT_MAX_PAYLOAD,
  CheckTelemetry,
  registerGlobals,
  runWebSocketSuite,
  waitFor,
  whenListening,
} from '@otel-http/conformance';
import { withSpan } from '@otel-http/core';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocketClient, { type WebSocket } from 'ws';
import { otel, traceUpgradeWebSocket } from '../src/index.js';
import { traceWebSocket } from '../src/node.js';

// @hono/node-ws 1.3.1 reports socket errors with `ErrorEvent`, a global Node 20 does not have.
globalThis.ErrorEvent ??= class ErrorEvent extends Event {
  readonly error: unknown;
  constructor(type: string, init: { error?: unknown } = {}) {
    super(type);
    this.error = init.error;
  }
} as unknown as typeof globalThis.ErrorEvent;

runWebSocketSuite({
  name: 'hono (@hono/node-ws)',
  start: async (options, session) => {
    const app = new Hono();
    const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket({ app });
    wss.options.maxPayload = CHAT_MAX_PAYLOAD;
    app.use(otel(options));
    app.get(
      '/chat',
      upgradeWebSocket(() => ({
        onOpen(_event, ws) {
          traceWebSocket(ws.raw as WebSocket, {
            route: '/chat',
            tracerProvider: options.tracerProvider,
            ...session,
          });
        },
        onMessage(event, ws) {
          withSpan('chat.reply', () => ws.send(`echo:${String(event.data)}`), {
            tracer: options.tracerProvider?.getTracer('chat'),
          });
        },
        onError() {},
      })),
    );
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    injectWebSocket(server);
    const running = await whenListening(server);
    return {
      url: running.url,
      close: async () => {
        for (const client of wss.clients) client.terminate();
        await running.close();
      },
    };
  },
});

runWebSocketSuite({
  name: 'hono (@hono/node-ws, traceUpgradeWebSocket)',
  start: async (options, session) => {
    const app = new Hono();
    const nodeWebSocket = createNodeWebSocket({ app });
    nodeWebSocket.wss.options.maxPayload = CHAT_MAX_PAYLOAD;
    const upgradeWebSocket = traceUpgradeWebSocket(nodeWebSocket.upgradeWebSocket, {
      tracerProvider: options.tracerProvider,
      ...session,
    });
    app.use(otel(options));
    app.get(
      '/chat',
      upgradeWebSocket(() => ({
        onMessage(event, ws) {
          withSpan('chat.reply', () => ws.send(`echo:${String(event.data)}`), {
            tracer: options.tracerProvider?.getTracer('chat'),
          });
        },
        onError() {},
      })),
    );
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    nodeWebSocket.injectWebSocket(server);
    const running = await whenListening(server);
    return {
      url: running.url,
      close: async () => {
        for (const client of nodeWebSocket.wss.clients) client.terminate();
        await running.close();
      },
    };
  },
});

describe('traceUpgradeWebSocket on @hono/node-ws', () => {
  let unregister: (() => void) | undefined;
  let telemetry: CheckTelemetry;
  let close: (() => Promise<void>) | undefined;
  beforeAll(() => {
    unregister = registerGlobals();
  });
  afterAll(() => unregister?.());
  afterEach(async () => {
    await close?.();
    close = undefined;
    await telemetry.shutdown();
  });

  /** `/chat` answers every message but `boom`, on which the handler throws. */
  async function serveChat(direct: boolean): Promise<string> {
    telemetry = new CheckTelemetry();
    const app = new Hono();
    const nodeWebSocket = createNodeWebSocket({ app });
    const appErrors: unknown[] = [];
    const upgradeWebSocket = traceUpgradeWebSocket(nodeWebSocket.upgradeWebSocket, {
      tracerProvider: telemetry.tracerProvider,
    });
    const events = {
      onMessage(event: MessageEvent, ws: { send(text: string): void }) {
        if (event.data === 'boom') throw new BoomError('boom');
        ws.send(`echo:${String(event.data)}`);
      },
    };
    app.use(otel(telemetry.options));
    if (direct) {
      app.get('/chat', (c) => upgradeWebSocket(c, events, { onError: (e) => appErrors.push(e) }));
    } else {
      app.get(
        '/chat',
        upgradeWebSocket(() => events, { onError: (e) => appErrors.push(e) }),
      );
    }
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    nodeWebSocket.injectWebSocket(server);
    const running = await whenListening(server);
    close = async () => {
      for (const client of nodeWebSocket.wss.clients) client.terminate();
      await running.close();
      // The app's own error handler still got the handler's error.
      expect(appErrors.filter((e) => e instanceof BoomError)).toHaveLength(1);
    };
    return running.url.replace(/^http/, 'ws');
  }

  for (const direct of [false, true]) {
    it(`${direct ? 'upgradeWebSocket(c, events)' : 'upgradeWebSocket(createEvents)'}: a throwing handler is recorded on the connection span and the session goes on`, async () => {
      const url = await serveChat(direct);
      const socket = new WebSocketClient(`${url}/chat`);
      const received: string[] = [];
      socket.on('message', (data) => received.push(String(data)));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send('boom');
      socket.send('after');
      await waitFor('the reply', () => (received.length === 1 ? true : undefined));
      socket.close(1000);
      await waitFor('the connection span', () =>
        telemetry.spans().find((span) => span.name === 'WS /chat'),
      );
      const [handshake, connection] = telemetry.spans();
      expect(received).toEqual(['echo:after']);
      expect(handshake?.name).toBe('GET /chat');
      expect(handshake?.attributes['http.response.status_code']).toBe(101);
      expect(connection?.name).toBe('WS /chat');
      expect(connection?.parentSpanContext?.spanId).toBe(handshake?.spanContext().spanId);
      expect(connection?.attributes['error.type']).toBe('BoomError');
      expect(connection?.attributes['websocket.messages_received']).toBe(2);
      expect(connection?.attributes['websocket.close.code']).toBe(1000);
      expect(connection?.events.filter((event) => event.name === 'exception')).toHaveLength(1);
    });
  }
});
