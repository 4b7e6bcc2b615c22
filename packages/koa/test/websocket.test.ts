import { createServer } from 'node:http';
import { CHAT_MAX_PAYLOAD, runWebSocketSuite, whenListening } from '@otel-http/conformance';
import { withSpan } from '@otel-http/core';
import Koa from 'koa';
import { WebSocketServer } from 'ws';
import { otel, traceWebSocket, upgradeListener } from '../src/index.js';

runWebSocketSuite({
  name: 'koa (ws)',
  start: async (options, session) => {
    const app = new Koa();
    app.use(otel(options));
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const server = createServer(app.callback());
    const wss = new WebSocketServer({ noServer: true, maxPayload: CHAT_MAX_PAYLOAD });
    // Koa never sees an upgrade: the server's `upgrade` listener gets the handshake span.
    server.on(
      'upgrade',
      upgradeListener({ ...options, upgradeRoute: '/chat' }, (req, socket, head) => {
        wss.handleUpgrade(req, socket, head, (ws) => {
          traceWebSocket(ws, {
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
      }),
    );
    server.listen(0, '127.0.0.1');
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
