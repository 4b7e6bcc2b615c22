/**
 * The shop itself, the same for every framework: a simulated database whose queries are child
 * spans of the request, order validation, and the messages of the event stream. Nothing here knows
 * which framework serves it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind } from '@opentelemetry/api';
import { withSpan } from '@otel-http/core';
import { WebSocketServer } from 'ws';
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
 * @property {(text: string) => string} chatReply - The answer to a message of the chat WebSocket.
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
        'GET /chat (WebSocket)',
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

  /**
   * The answer to one chat message: a `chat.reply` span (a child of the WebSocket connection's
   * span, in whose context the message handlers run) and a log line carrying its trace id.
   */
  function chatReply(text) {
    return withSpan('chat.reply', () => {
      log.info({ length: text.length }, 'chat message');
      return `echo: ${text}`;
    });
  }

  return { log, serviceIndex, findUser, findOrder, createOrder, chatReply };
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
 * The messages of `GET /events`, `{ id, event, data }`, {@link EVENTS} `intervalMs` apart, after
 * the one whose id the client sends back when it reconnects (`lastEventId`): a client that saw
 * message 1 gets 2 and 3. The adapter's `eventStream()` formats them and records the stream on the
 * request's span (an `sse.message` event per message, time to first message, duration).
 *
 * @param {string} [lastEventId] - The request's `last-event-id` header, as the framework reads it.
 */
export async function* tickerMessages(lastEventId) {
  const resumed = Number.parseInt(lastEventId ?? '', 10);
  const first = Number.isInteger(resumed) && resumed >= 0 ? resumed + 1 : 1;
  for (let n = first; n <= EVENTS.count; n++) {
    if (n > first) await sleep(EVENTS.intervalMs);
    yield { id: String(n), event: 'tick', data: { n, of: EVENTS.count } };
  }
}

/** Path of the chat WebSocket, served next to the routes of every example. */
export const CHAT_PATH = '/chat';

/** Longest chat message taken, in bytes; `ws` closes a connection that sends more (1009). */
export const CHAT_MAX_PAYLOAD = 16 * 1024;

/** Whether an upgrade request is for the chat: its path, without the query, is {@link CHAT_PATH}. */
function isChatUpgrade(url) {
  const end = url.search(/[?#]/);
  return (end === -1 ? url : url.slice(0, end)) === CHAT_PATH;
}

/**
 * The chat WebSocket on a Node server whose framework never sees an upgrade request (Express,
 * Koa): `ws` answers the server's `upgrade` events, behind the adapter's `upgradeListener`, which
 * gives the handshake its `GET /chat` span (status 101); `traceWebSocket` gives the connection its
 * `WS /chat` span. An upgrade to any other path is answered 404.
 *
 * @param {import('node:http').Server} server
 * @param {Shop} shop
 * @param {{ upgradeListener: Function, traceWebSocket: Function }} adapter - The adapter's two.
 * @returns {WebSocketServer} Whose `clients` are the open chats.
 */
export function serveChatUpgrades(server, shop, { upgradeListener, traceWebSocket }) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: CHAT_MAX_PAYLOAD });
  const chatRoute = (req) => (isChatUpgrade(req.url ?? '') ? CHAT_PATH : undefined);
  server.on(
    'upgrade',
    upgradeListener({ upgradeRoute: chatRoute }, (req, socket, head) => {
      if (chatRoute(req) === undefined) {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => chatSession(ws, shop, traceWebSocket));
    }),
  );
  return wss;
}

/**
 * One chat connection on a `ws` socket (what `ws` and `@fastify/websocket` hand over): traced from
 * now to its close, each message answered by {@link Shop} `chatReply`.
 */
export function chatSession(ws, shop, traceWebSocket) {
  traceWebSocket(ws, { route: CHAT_PATH });
  // An oversized or broken frame: ws closes the connection, and its span records the close code.
  ws.on('error', () => {});
  ws.on('message', (data) => ws.send(shop.chatReply(String(data))));
}

/** Closes every open chat of `wss` as a server going away does (1001); see `whenListening`. */
export function closeChats(wss) {
  for (const client of wss.clients) client.close(1001, 'server stopping');
}

/**
 * The status of an error that is the client's fault (a body parser's `400` for malformed JSON),
 * or `undefined` for the others, which are the server's.
 */
export function clientErrorStatus(error) {
  const status = error?.status ?? error?.statusCode;
  return Number.isInteger(status) && status >= 400 && status < 500 ? status : undefined;
}
