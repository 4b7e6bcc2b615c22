import { serve } from '@hono/node-server';
import { activeSpan } from '@otel-http/core';
import {
  clientErrorStatus,
  createShop,
  INTERNAL_ERROR,
  NOT_FOUND,
  reserveStock,
  tickerMessages,
  validateOrder,
  whenListening,
} from '@otel-http/example-shop';
import { otel } from '@otel-http/hono';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import * as settings from './settings.js';

/**
 * The shop on Hono. The routes are the same, in the same order, in the four examples.
 *
 * @param shop - The shop's queries and log (`createShop`); a shop of its own when not given.
 */
export function createApp(shop = createShop(settings)) {
  const { log } = shop;
  const app = new Hono();

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

  app.get('/events', (c) => {
    const span = activeSpan();
    return streamSSE(c, async (stream) => {
      for await (const message of tickerMessages(span)) {
        if (stream.aborted) break;
        await stream.writeSSE(message);
      }
    });
  });

  app.notFound((c) => c.json(NOT_FOUND, 404));

  // Runs inside the request's span: the log line carries its trace id.
  app.onError((error, c) => {
    const status = clientErrorStatus(error);
    if (status !== undefined) return c.json({ error: error.message }, status);
    log.error({ err: error }, 'request failed');
    return c.json(INTERNAL_ERROR, 500);
  });

  return app;
}

/**
 * Builds the app with `shop` (`createApp`) and listens on `host:port` (`0`: a free port).
 *
 * @returns `url`, the base URL, and `close()`, which stops the server once the requests in flight
 *   are done.
 */
export function startServer({ port, host, shop }) {
  return whenListening(serve({ fetch: createApp(shop).fetch, port, hostname: host }), host);
}
