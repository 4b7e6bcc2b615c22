import { createServer } from 'node:http';
import { runWebSocketSuite, serveWsChat } from '@otel-http/conformance';
import Koa from 'koa';
import { otel, traceWebSocket, upgradeListener } from '../src/index.js';

runWebSocketSuite({
  name: 'koa (ws)',
  start: async (options, session) => {
    const app = new Koa();
    app.use(otel(options));
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    // Koa never sees an upgrade: the server's `upgrade` listener gets the handshake span.
    return serveWsChat(createServer(app.callback()), options, session, {
      upgradeListener,
      traceWebSocket,
    });
  },
});
