import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import { CHAT_MAX_PAYLOAD, runWebSocketSuite, whenListening } from '@otel-http/conformance';
import { withSpan } from '@otel-http/core';
import { Hono } from 'hono';
import type { WebSocket } from 'ws';
import { otel } from '../src/index.js';
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
