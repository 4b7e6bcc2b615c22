import { pipeline, Readable } from 'node:stream';
import {
  clientErrorStatus,
  createShop,
  INTERNAL_ERROR,
  NOT_FOUND,
  reserveStock,
  serveChatUpgrades,
  tickerMessages,
  validateOrder,
  whenListening,
} from '@otel-http/example-shop';
import {
  EVENT_STREAM_HEADERS,
  eventStream,
  otel,
  traceWebSocket,
  upgradeListener,
} from '@otel-http/express';
import express from 'express';
import * as settings from './settings.js';

/**
 * The shop on Express. The routes are the same, in the same order, in the four examples.
 *
 * @param shop - The shop's queries and log (`createShop`); a shop of its own when not given.
 */
export function createApp(shop = createShop(settings)) {
  const { log } = shop;
  const app = express();

  // First, so that every later middleware and handler runs with the request's span active.
  app.use(otel({ ignore: ['/health'] }));

  app.get('/', (_req, res) => {
    res.json(shop.serviceIndex());
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/users/:id', async (req, res) => {
    const user = await shop.findUser(req.params.id);
    if (user === undefined) res.status(404).json({ error: 'user not found' });
    else res.json(user);
  });

  app.get('/orders/:id', async (req, res) => {
    const order = await shop.findOrder(req.params.id);
    if (order === undefined) res.status(404).json({ error: 'order not found' });
    else res.json(order);
  });

  // The JSON parser is on the route, not on the app: a malformed body then fails after the route
  // matched, and its 400 keeps `http.route`.
  app.post('/orders', express.json(), async (req, res) => {
    const { order, issues } = validateOrder(req.body);
    if (issues) res.status(400).json({ error: 'invalid order', issues });
    else res.status(201).json(await shop.createOrder(order));
  });

  app.get('/error', () => {
    reserveStock();
  });

  app.get('/events', (req, res) => {
    res.writeHead(200, EVENT_STREAM_HEADERS);
    // A client that leaves early ends the stream; there is nothing left to answer then.
    pipeline(Readable.from(eventStream(tickerMessages(req.get('last-event-id')))), res, () => {});
  });

  app.use((_req, res) => {
    res.status(404).json(NOT_FOUND);
  });

  // Runs inside the request's span: the log line carries its trace id.
  app.use((error, _req, res, _next) => {
    const status = clientErrorStatus(error);
    if (status !== undefined) {
      res.status(status).json({ error: error.message });
      return;
    }
    log.error({ err: error }, 'request failed');
    res.status(500).json(INTERNAL_ERROR);
  });

  return app;
}

/**
 * Builds the app with `shop` (`createApp`) and listens on `host:port` (`0`: a free port), with
 * the chat WebSocket beside it.
 *
 * @returns `url`, the base URL, and `close()`, which stops the server once the requests in flight
 *   are done.
 */
export function startServer({ port, host, shop = createShop(settings) }) {
  const server = createApp(shop).listen(port, host);
  // Express never sees an upgrade request: the server's `upgrade` listener does.
  const chats = serveChatUpgrades(server, shop, { upgradeListener, traceWebSocket });
  return whenListening(server, host, chats);
}
