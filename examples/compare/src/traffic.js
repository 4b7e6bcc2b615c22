/**
 * The scripted traffic sent to every example, and how one request is sent. Each request carries a
 * `traceparent` with a trace id of its own, so that its spans (and its log lines) are found again
 * by that id, whichever service produced them.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

/**
 * @typedef {object} ScriptedRequest
 * @property {string} label - How the table names it.
 * @property {string} method
 * @property {string} path
 * @property {string} [body] - Sent as `application/json`.
 * @property {number} status - The status every example must answer.
 * @property {string | null} route - The `http.route` expected on span and metric (`null`: none).
 * @property {boolean} [ignored] - Telemetry ignores it: no span, no metric.
 * @property {Record<string, string>} [headers] - More request headers.
 * @property {{ messages: string[], close: { code: number, reason: string } }} [websocket] - A
 *   WebSocket session instead of a request: the messages the client sends, one after the answer to
 *   the one before, and how it closes. `status` is then the handshake's (101).
 */

/** @type {readonly ScriptedRequest[]} */
export const TRAFFIC = [
  { label: 'GET /', method: 'GET', path: '/', status: 200, route: '/' },
  {
    label: 'GET /health',
    method: 'GET',
    path: '/health',
    status: 200,
    route: '/health',
    ignored: true,
  },
  { label: 'GET /users/1', method: 'GET', path: '/users/1', status: 200, route: '/users/:id' },
  { label: 'GET /users/42', method: 'GET', path: '/users/42', status: 404, route: '/users/:id' },
  { label: 'GET /orders/2', method: 'GET', path: '/orders/2', status: 200, route: '/orders/:id' },
  {
    label: 'POST /orders',
    method: 'POST',
    path: '/orders',
    body: JSON.stringify({ userId: '3', items: [{ productId: 'p3', quantity: 2 }] }),
    status: 201,
    route: '/orders',
  },
  {
    label: 'POST /orders invalid',
    method: 'POST',
    path: '/orders',
    body: JSON.stringify({ userId: 'nobody', items: [{ productId: 'p9', quantity: 0 }] }),
    status: 400,
    route: '/orders',
  },
  {
    label: 'POST /orders malformed',
    method: 'POST',
    path: '/orders',
    body: '{"userId": "1", "items": [',
    status: 400,
    route: '/orders',
  },
  { label: 'GET /error', method: 'GET', path: '/error', status: 500, route: '/error' },
  { label: 'GET /events', method: 'GET', path: '/events', status: 200, route: '/events' },
  {
    label: 'GET /events resumed',
    method: 'GET',
    path: '/events',
    headers: { 'last-event-id': '1' },
    status: 200,
    route: '/events',
  },
  {
    label: 'WS /chat',
    method: 'GET',
    path: '/chat',
    websocket: { messages: ['hello', 'bye'], close: { code: 1000, reason: 'done' } },
    status: 101,
    route: '/chat',
  },
  { label: 'GET /no/such/page', method: 'GET', path: '/no/such/page', status: 404, route: null },
];

/**
 * @typedef {object} SentRequest
 * @property {string} traceId - The trace the request started.
 * @property {string} parentSpanId - The caller's span id it sent, parent of the server span.
 * @property {number} status - What the client received (0: no answer).
 * @property {string} [error] - Why there was no answer.
 */

/**
 * Sends one request to `baseUrl` and reads the whole answer (an event stream to its end).
 *
 * @param {string} baseUrl
 * @param {{ method: string, path: string, body?: string, headers?: Record<string, string> }} request
 *   `headers`: more request headers (a `baggage`, say).
 * @returns {Promise<SentRequest>}
 */
export async function send(baseUrl, { method, path, body, headers: more = {}, websocket }) {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  const headers = { ...more, traceparent: `00-${traceId}-${parentSpanId}-01` };
  if (websocket !== undefined) {
    return { traceId, parentSpanId, ...(await chat(baseUrl + path, headers, websocket)) };
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(baseUrl + path, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return { traceId, parentSpanId, status: response.status };
  } catch (error) {
    return { traceId, parentSpanId, status: 0, error: error.message };
  }
}

/**
 * One WebSocket session: opens it with `headers`, sends each message once the answer to the one
 * before arrived, then closes and waits for the server's close.
 *
 * @returns {Promise<{ status: number, error?: string }>} The handshake's status (101 once open).
 */
function chat(url, headers, { messages, close }) {
  return new Promise((resolve) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
    const timer = setTimeout(() => {
      socket.terminate();
      resolve({ status: 0, error: 'the WebSocket session did not end within 10 s' });
    }, 10_000);
    const done = (result) => {
      clearTimeout(timer);
      resolve(result);
    };
    let next = 0;
    const sendNext = () => {
      if (next < messages.length) socket.send(messages[next++]);
      else socket.close(close.code, close.reason);
    };
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      done({ status: response.statusCode ?? 0 });
    });
    socket.once('error', (error) => done({ status: 0, error: error.message }));
    socket.once('open', sendNext);
    socket.on('message', sendNext);
    socket.once('close', () => done({ status: 101 }));
  });
}
