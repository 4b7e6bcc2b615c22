import fastifyWebsocket from '@fastify/websocket';
import { CHAT_MAX_PAYLOAD, runWebSocketSuite } from '@otel-http/conformance';
import { withSpan } from '@otel-http/core';
import Fastify from 'fastify';
import { otel, traceWebSocket } from '../src/index.js';
import { listen } from './standard-app.js';

runWebSocketSuite({
  name: 'fastify (@fastify/websocket)',
  start: async (options, session) => {
    const app = Fastify({ forceCloseConnections: true });
    await app.register(otel, options);
    await app.register(fastifyWebsocket, { options: { maxPayload: CHAT_MAX_PAYLOAD } });
    app.get('/chat', { websocket: true }, (socket) => {
      traceWebSocket(socket, {
        route: '/chat',
        tracerProvider: options.tracerProvider,
        ...session,
      });
      socket.on('error', () => {});
      socket.on('message', (data) => {
        withSpan('chat.reply', () => socket.send(`echo:${String(data)}`), {
          tracer: options.tracerProvider?.getTracer('chat'),
        });
      });
    });
    return listen(app);
  },
});
