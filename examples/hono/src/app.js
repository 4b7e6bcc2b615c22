import { serve } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import {
  CHAT_MAX_PAYLOAD,
  CHAT_PATH,
  clientErrorStatus,
  createShop,
  INTERNAL_ERROR,
  NOT_FOUND,
  reserveStock,
  tickerMessages,
  validateOrder,
  whenListening,
} from '@otel-http/example-shop';
import { EVENT_STREAM_HEADERS, eventStream, otel, traceUpgradeWebSocket } from '@otel-http/hono';
import { Hono } from 'hono';
import * as settings from './settings.js';

/**
 * The shop on Hono. The routes are the same, in the same order, in the four examples.
 *
 * @param shop - The shop's queries and log (`createShop`); a shop of its own when not given.
 * @returns `app`, and `@hono/node-ws`'s `injectWebSocket` and `wss`: the server must be handed to
 *   `injectWebSocket` for the chat WebSocket to answer, and `wss.clients` are the open chats.
 */
export function createApp(shop = createShop(settings)) {
  const { log } = shop;
  const app = new Hono();
  const nodeWebSocket = createNodeWebSocket({ app });
  const { injectWebSocket, wss } = nodeWebSocket;
  // The same wrapper takes hono/bun's and hono/deno's upgradeWebSocket.
  const upgradeWebSocket = traceUpgradeWebSocket(nodeWebSocket.upgradeWebSocket);
  wss.options.maxPayload = CHAT_MAX_PAYLOAD;

  // First, so that every later middleware and handler runs with the request's span active.
  app.use(otel({ ignore: ['/health'] }));

  app.get('/', (c) => c.json(shop.serviceIndex()));

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.get('/users/:id', async (c) => {
    const user = await shop.findUser(c.req.param('id'));
    if (user === undefined) return c.json({ error: 'user not found' }, 404);
    return c.json(user);
  });

  app.get('/orders/:id', async (c) => {
    const order = await shop.findOrder(c.req.param('id'));
    if (order === undefined) return c.json({ error: 'order not found' }, 404);
    return c.json(order);
  });

  // Hono parses the body when the handler asks; a malformed one counts as no JSON object.
  app.post('/orders', async (c) => {
    const body = await c.req.json().catch(() => undefined);
    const { order, issues } = validateOrder(body);
    if (issues) return c.json({ error: 'invalid order', issues }, 400);
    return c.json(await shop.createOrder(order), 201);
  });

  app.get('/error', () => {
    reserveStock();
  });

  app.get('/events', (c) =>
    c.body(
      eventStream(tickerMessages(c.req.header('last-event-id'))).toReadableStream(),
      200,
      EVENT_STREAM_HEADERS,
    ),
  );

  // The handshake is the route's request (its span ends with the 101 `ws` writes); the
  // connection gets a `WS /chat` span of its own, and onMessage runs in its context.
  app.get(
    CHAT_PATH,
    upgradeWebSocket(() => ({
      onMessage(event, ws) {
        ws.send(shop.chatReply(String(event.data)));
      },
      // An oversized or broken frame: ws closes the connection, and its span records the code.
      onError() {},
    })),
  );

  app.notFound((c) => c.json(NOT_FOUND, 404));

  // Runs inside the request's span: the log line carries its trace id.
  app.onError((error, c) => {
    const status = clientErrorStatus(error);
    if (status !== undefined) return c.json({ error: error.message }, status);
    log.error({ err: error }, 'request failed');
    return c.json(INTERNAL_ERROR, 500);
  });

  return { app, injectWebSocket, wss };
}

/**
 * Builds the app with `shop` (`createApp`) and listens on `host:port` (`0`: a free port), with
 * the chat WebSocket beside it.
 *
 * @returns `url`, the base URL, and `close()`, which stops the server once the requests in flight
 *   are done.
 */
export function startServer({ port, host, shop }) {
  const { app, injectWebSocket, wss } = createApp(shop);
  const server = serve({ fetch: app.fetch, port, hostname: host });
  injectWebSocket(server);
  return whenListening(server, host, wss);
}
