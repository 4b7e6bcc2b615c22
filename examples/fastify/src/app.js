import { Readable } from 'node:stream';
import fastifyWebsocket from '@fastify/websocket';
import {
  CHAT_MAX_PAYLOAD,
  CHAT_PATH,
  chatSession,
  clientErrorStatus,
  createShop,
  INTERNAL_ERROR,
  NOT_FOUND,
  reserveStock,
  tickerMessages,
  validateOrder,
} from '@otel-http/example-shop';
import { EVENT_STREAM_HEADERS, eventStream, otel, traceWebSocket } from '@otel-http/fastify';
import Fastify from 'fastify';
import * as settings from './settings.js';

/**
 * The shop on Fastify. The routes are the same, in the same order, in the four examples.
 *
 * @param shop - The shop's queries and log (`createShop`); a shop of its own when not given.
 */
export async function createApp(shop = createShop(settings)) {
  const { log } = shop;
  const app = Fastify();

  // First, on the root instance, so that every hook and handler runs with the request's span
  // active.
  await app.register(otel, { ignore: ['/health'] });
  await app.register(fastifyWebsocket, { options: { maxPayload: CHAT_MAX_PAYLOAD } });

  app.get('/', async () => shop.serviceIndex());

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/users/:id', async (request, reply) => {
    const user = await shop.findUser(request.params.id);
    if (user === undefined) return reply.code(404).send({ error: 'user not found' });
    return user;
  });

  app.get('/orders/:id', async (request, reply) => {
    const order = await shop.findOrder(request.params.id);
    if (order === undefined) return reply.code(404).send({ error: 'order not found' });
    return order;
  });

  // Fastify parses JSON bodies itself, after the route matched; a malformed body is a 400 that
  // reaches the error handler below.
  app.post('/orders', async (request, reply) => {
    const { order, issues } = validateOrder(request.body);
    if (issues) return reply.code(400).send({ error: 'invalid order', issues });
    return reply.code(201).send(await shop.createOrder(order));
  });

  app.get('/error', async () => {
    reserveStock();
  });

  app.get('/events', (request, reply) =>
    reply
      .headers(EVENT_STREAM_HEADERS)
      .send(Readable.from(eventStream(tickerMessages(request.headers['last-event-id'])))),
  );

  // The handshake is the route's request (its span ends with the 101); the connection gets a
  // `WS /chat` span of its own.
  app.get(CHAT_PATH, { websocket: true }, (socket) => chatSession(socket, shop, traceWebSocket));

  app.setNotFoundHandler((_request, reply) => reply.code(404).send(NOT_FOUND));

  // Runs inside the request's span: the log line carries its trace id.
  app.setErrorHandler((error, _request, reply) => {
    const status = clientErrorStatus(error);
    if (status !== undefined) return reply.code(status).send({ error: error.message });
    log.error({ err: error }, 'request failed');
    return reply.code(500).send(INTERNAL_ERROR);
  });

  return app;
}

/**
 * Builds the app with `shop` (`createApp`) and listens on `host:port` (`0`: a free port).
 *
 * @returns `url`, the base URL, and `close()`, which stops the server once the requests in flight
 *   are done.
 */
export async function startServer({ port, host, shop }) {
  const app = await createApp(shop);
  await app.listen({ port, host });
  return {
    url: `http://${host}:${app.server.address().port}`,
    close: () => app.close(),
  };
}
