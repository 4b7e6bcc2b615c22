import { once } from 'node:events';
import { pipeline } from 'node:stream';
import { activeSpan } from '@otel-http/core';
import { otel } from '@otel-http/express';
import express from 'express';
import { log } from './log.js';
import {
  clientErrorStatus,
  createOrder,
  EVENT_STREAM_HEADERS,
  eventStream,
  findOrder,
  findUser,
  INTERNAL_ERROR,
  NOT_FOUND,
  reserveStock,
  serviceIndex,
  validateOrder,
} from './shop.js';

/** The shop on Express. The routes are the same, in the same order, in the four examples. */
export function createApp() {
  const app = express();

  // First, so that every later middleware and handler runs with the request's span active.
  app.use(otel({ ignore: ['/health'] }));

  app.get('/', (_req, res) => {
    res.json(serviceIndex());
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/users/:id', async (req, res) => {
    const user = await findUser(req.params.id);
    if (user === undefined) res.status(404).json({ error: 'user not found' });
    else res.json(user);
  });

  app.get('/orders/:id', async (req, res) => {
    const order = await findOrder(req.params.id);
    if (order === undefined) res.status(404).json({ error: 'order not found' });
    else res.json(order);
  });

  // The JSON parser is on the route, not on the app: a malformed body then fails after the route
  // matched, and its 400 keeps `http.route`.
  app.post('/orders', express.json(), async (req, res) => {
    const { order, issues } = validateOrder(req.body);
    if (issues) res.status(400).json({ error: 'invalid order', issues });
    else res.status(201).json(await createOrder(order));
  });

  app.get('/error', () => {
    reserveStock();
  });

  app.get('/events', (_req, res) => {
    res.writeHead(200, EVENT_STREAM_HEADERS);
    // A client that leaves early ends the stream; there is nothing left to answer then.
    pipeline(eventStream(activeSpan()), res, () => {});
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
 * Builds the app and listens on `host:port` (`0`: a free port).
 *
 * @returns `url`, the base URL, and `close()`, which stops the server once the requests in flight
 *   are done.
 */
export async function startServer({ port, host }) {
  const server = createApp().listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
