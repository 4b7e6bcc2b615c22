import { Readable } from 'node:stream';
import Router from '@koa/router';
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
  recordRequestError,
  traceWebSocket,
  upgradeListener,
} from '@otel-http/koa';
import Koa from 'koa';
import * as settings from './settings.js';

/** Largest request body read, as Express's and Fastify's JSON parsers do by default. */
const BODY_LIMIT = 100 * 1024;

/**
 * The shop on Koa. The routes are the same, in the same order, in the four examples.
 *
 * @param shop - The shop's queries and log (`createShop`); a shop of its own when not given.
 */
export function createApp(shop = createShop(settings)) {
  const { log } = shop;
  const app = new Koa();
  const router = new Router();

  app.use(otel({ ignore: ['/health'] }));

  // Koa answers errors in a middleware wrapped around the later ones. It runs inside the request's
  // span, so its log line carries the trace id, and recordRequestError gives the span the error's
  // class as `error.type`, as the other frameworks' error handlers do.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const status = clientErrorStatus(error);
      if (status === undefined) {
        recordRequestError(error);
        log.error({ err: error }, 'request failed');
      }
      ctx.status = status ?? 500;
      ctx.body = status === undefined ? INTERNAL_ERROR : { error: error.message };
    }
  });

  router.get('/', (ctx) => {
    ctx.body = shop.serviceIndex();
  });

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/users/:id', async (ctx) => {
    const user = await shop.findUser(ctx.params.id);
    if (user === undefined) {
      ctx.status = 404;
      ctx.body = { error: 'user not found' };
    } else ctx.body = user;
  });

  router.get('/orders/:id', async (ctx) => {
    const order = await shop.findOrder(ctx.params.id);
    if (order === undefined) {
      ctx.status = 404;
      ctx.body = { error: 'order not found' };
    } else ctx.body = order;
  });

  // Koa has no body parser of its own; a malformed body counts as no JSON object.
  router.post('/orders', async (ctx) => {
    const { order, issues } = validateOrder(await readJson(ctx));
    if (issues) {
      ctx.status = 400;
      ctx.body = { error: 'invalid order', issues };
    } else {
      ctx.status = 201;
      ctx.body = await shop.createOrder(order);
    }
  });

  router.get('/error', () => {
    reserveStock();
  });

  router.get('/events', (ctx) => {
    ctx.set(EVENT_STREAM_HEADERS);
    ctx.body = Readable.from(eventStream(tickerMessages(ctx.get('last-event-id'))));
  });

  app.use(router.routes());

  // A response that fails once under way (a client leaving in the middle of the event stream)
  // reaches Koa's `error` event instead; without a listener Koa prints its stack.
  app.on('error', (error) => log.debug({ err: error }, 'response ended early'));

  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = NOT_FOUND;
  });

  return app;
}

/** The JSON body of the request, or `undefined` when it is not JSON. */
async function readJson(ctx) {
  if (!ctx.is('application/json')) return undefined;
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > BODY_LIMIT) ctx.throw(413, 'request entity too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
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
  // Koa never sees an upgrade request: the server's `upgrade` listener does.
  const chats = serveChatUpgrades(server, shop, { upgradeListener, traceWebSocket });
  return whenListening(server, host, chats);
}
