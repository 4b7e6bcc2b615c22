import { createServer } from 'node:http';
import { runWebSocketSuite, serveWsChat } from '@otel-http/conformance';
import express from 'express';
import { otel, traceWebSocket, upgradeListener } from '../src/index.js';

runWebSocketSuite({
  name: 'express (ws)',
  start: async (options, session) => {
    const app = express();
    app.use(otel(options));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    // Express never sees an upgrade: the server's `upgrade` listener gets the handshake span.
    return serveWsChat(createServer(app), options, session, { upgradeListener, traceWebSocket });
  },
});
