/**
 * The shop itself, the same for every framework: a simulated database whose queries are child
 * spans of the request, order validation, and the messages of the event stream. Nothing here knows
 * which framework serves it.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind } from '@opentelemetry/api';
import { withSpan } from '@otel-http/core';
import { createLog } from './log.js';

const USERS = new Map([
  ['1', { id: '1', name: 'Ada Lovelace' }],
  ['2', { id: '2', name: 'Alan Turing' }],
  ['3', { id: '3', name: 'Grace Hopper' }],
]);

const PRODUCTS = new Map([
  ['p1', { id: 'p1', name: 'Keyboard', price: 49 }],
  ['p2', { id: 'p2', name: 'Mouse', price: 19 }],
  ['p3', { id: 'p3', name: 'Monitor', price: 199 }],
]);

/** The orders every shop starts with; the orders it takes are its own (see {@link createShop}). */
const INITIAL_ORDERS = [
  ['1', { id: '1', userId: '1', items: [{ productId: 'p1', quantity: 1 }] }],
  [
    '2',
    {
      id: '2',
      userId: '2',
      items: [
        { productId: 'p2', quantity: 2 },
        { productId: 'p3', quantity: 1 },
      ],
    },
  ],
];

/** Id of the first order a shop takes. */
const FIRST_ORDER_ID = 1000;

/** Body of every `404` the service answers itself when no route matched. */
export const NOT_FOUND = { error: 'not found' };

/** Body of every `500`: the details go to the log and the span, not to the client. */
export const INTERNAL_ERROR = { error: 'internal error' };

/** Headers of the event stream of `GET /events`. */
export const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
};

/** How many messages `GET /events` sends, and how far apart. */
export const EVENTS = { count: 3, intervalMs: 100 };

/** Thrown by `GET /error`. Its class name becomes `error.type` on the span and the metric. */
export class InventoryUnavailableError extends Error {
  name = 'InventoryUnavailableError';
}

/**
 * One simulated query: a CLIENT span, child of the active one, named and described as the
 * database semantic conventions ask, that lasts a few milliseconds.
 */
function query(operation, table, text, run) {
  return withSpan(
    `${operation} ${table}`,
    async () => {
      await sleep(2 + Math.random() * 6);
      return run();
    },
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'other_sql',
        'db.namespace': 'shop',
        'db.collection.name': table,
        'db.operation.name': operation,
        'db.query.text': text,
      },
    },
  );
}

/**
 * @typedef {object} Shop
 * @property {import('pino').Logger} log - The example's log; the app writes its own lines to it.
 * @property {() => object} serviceIndex - What `GET /` answers.
 * @property {(id: string) => Promise<object | undefined>} findUser - The user with this id, or
 *   `undefined`.
 * @property {(id: string) => Promise<object | undefined>} findOrder - The order with this id and,
 *   loaded in parallel, its user and products; or `undefined`.
 * @property {(order: object) => Promise<object>} createOrder - Stores a valid order (see
 *   {@link validateOrder}) and returns it with its new id.
 */

/**
 * The shop of one example: its log, and the queries of its routes, on orders of its own (examples
 * started side by side in one process do not see each other's orders).
 *
 * @param {import('./types.js').ExampleSettings} settings - The example's `settings.js`.
 * @param {import('pino').Logger} [log] - Where the shop logs; {@link createLog} of `settings`
 *   when not given.
 * @returns {Shop}
 */
export function createShop(settings, log = createLog(settings)) {
  const orders = new Map(INITIAL_ORDERS);
  let nextOrderId = FIRST_ORDER_ID;

  function serviceIndex() {
    return {
      service: settings.SERVICE_NAME,
      framework: settings.FRAMEWORK,
      routes: [
        'GET /',
        'GET /health',
        'GET /users/:id',
        'GET /orders/:id',
        'POST /orders',
        'GET /error',
        'GET /events',
      ],
    };
  }

  async function findUser(id) {
    const user = await query('SELECT', 'users', 'SELECT id, name FROM users WHERE id = ?', () =>
      USERS.get(id),
    );
    log.info({ userId: id, found: user !== undefined }, 'user lookup');
    return user;
  }

  async function findOrder(id) {
    const order = await query(
      'SELECT',
      'orders',
      'SELECT id, user_id, items FROM orders WHERE id = ?',
      () => orders.get(id),
    );
    if (order === undefined) {
      log.info({ orderId: id, found: false }, 'order lookup');
      return undefined;
    }
    const productIds = order.items.map((item) => item.productId);
    const [user, products] = await Promise.all([
      query('SELECT', 'users', 'SELECT id, name FROM users WHERE id = ?', () =>
        USERS.get(order.userId),
      ),
      query('SELECT', 'products', 'SELECT id, name, price FROM products WHERE id IN (?)', () =>
        productIds.map((productId) => PRODUCTS.get(productId)),
      ),
    ]);
    log.info({ orderId: id, found: true, products: products.length }, 'order lookup');
    return { ...order, user, products };
  }

  async function createOrder(order) {
    const id = String(nextOrderId++);
    const stored = { id, ...order };
    await query(
      'INSERT',
      'orders',
      'INSERT INTO orders (id, user_id, items) VALUES (?, ?, ?)',
      () => orders.set(id, stored),
    );
    log.info({ orderId: id, items: order.items.length }, 'order created');
    return stored;
  }

  return { log, serviceIndex, findUser, findOrder, createOrder };
}

/**
 * Checks the body of `POST /orders`: `{ userId, items: [{ productId, quantity }] }` with a known
 * user, known products and quantities from 1 to 99. `body` is `undefined` when it was not JSON.
 *
 * @returns `{ order }` when it is valid, else `{ issues }`, one message per problem.
 */
export function validateOrder(body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { issues: ['the body must be a JSON object'] };
  }
  const issues = [];
  if (typeof body.userId !== 'string' || !USERS.has(body.userId)) {
    issues.push('userId must be the id of a known user');
  }
  if (!Array.isArray(body.items) || body.items.length === 0 || body.items.length > 20) {
    issues.push('items must be a list of 1 to 20 items');
  } else {
    body.items.forEach((item, index) => {
      if (typeof item?.productId !== 'string' || !PRODUCTS.has(item.productId)) {
        issues.push(`items[${index}].productId must be the id of a known product`);
      }
      if (!Number.isInteger(item?.quantity) || item.quantity < 1 || item.quantity > 99) {
        issues.push(`items[${index}].quantity must be a whole number from 1 to 99`);
      }
    });
  }
  if (issues.length > 0) return { issues };
  const items = body.items.map(({ productId, quantity }) => ({ productId, quantity }));
  return { order: { userId: body.userId, items } };
}

/** What `GET /error` calls. */
export function reserveStock() {
  throw new InventoryUnavailableError('the inventory service did not answer');
}

/**
 * The messages of `GET /events`, `{ id, event, data }`, {@link EVENTS} `intervalMs` apart. Each one
 * is also recorded as an event on `span` (the request's server span, taken by the handler), so the
 * trace shows when every message was sent; the span itself ends after the last one. The span is
 * passed in because the stream is read later, from code that may not run in the request's context.
 */
export async function* tickerMessages(span) {
  for (let n = 1; n <= EVENTS.count; n++) {
    if (n > 1) await sleep(EVENTS.intervalMs);
    // Not once the span has ended (a client that left early), nor when the trace is not sampled.
    if (span?.isRecording()) {
      span.addEvent('sse.message', { 'sse.event.id': String(n), 'sse.event.type': 'tick' });
    }
    yield { id: String(n), event: 'tick', data: JSON.stringify({ n, of: EVENTS.count }) };
  }
}

/** {@link tickerMessages} as a byte stream in the `text/event-stream` format. */
export function eventStream(span) {
  return Readable.from(
    (async function* format() {
      for await (const { id, event, data } of tickerMessages(span)) {
        yield `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;
      }
    })(),
  );
}

/**
 * The status of an error that is the client's fault (a body parser's `400` for malformed JSON),
 * or `undefined` for the others, which are the server's.
 */
export function clientErrorStatus(error) {
  const status = error?.status ?? error?.statusCode;
  return Number.isInteger(status) && status >= 400 && status < 500 ? status : undefined;
}
