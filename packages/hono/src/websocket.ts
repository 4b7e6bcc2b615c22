import { context, type Context as OtelContext } from '@opentelemetry/api';
import {
  acceptUpgrade,
  isThenable,
  startWebSocketSession,
  type WebSocketSessionOptions,
  type WebSocketSessionRecorder,
} from '@otel-http/core';
import type { Context, MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket, WSContext, WSEvents } from 'hono/ws';
import { nodeUpgradeSocket } from './node-bindings.js';

/** Settings of {@link traceUpgradeWebSocket}'s connection spans. */
export type TracedWebSocketOptions = Omit<WebSocketSessionOptions, 'context'>;

type CreateEvents<T> = (c: Context) => WSEvents<T> | Promise<WSEvents<T>>;

/**
 * Wraps Hono's `upgradeWebSocket` of a runtime — `@hono/node-ws`, `hono/bun`, `hono/deno` — so that every connection it opens gets a
 * connection span: `WS {route}`, a child of the handshake's `GET {route}` server span (status
 * 101), from the opening to the close, with message counts and bytes each way, the close code and
 * reason, capped `websocket.message` events, and the first failure (a socket error, or a handler
 * that throws — recorded, then passed on as Hono would). The event handlers run in the
 * connection's context, so that the spans they start join the trace. Use it in place of the
 * original, with `otel()` registered before the route:
 *
 * ```ts
 * const upgradeWebSocket = traceUpgradeWebSocket(createBunWebSocket().upgradeWebSocket);
 * app.get('/chat', upgradeWebSocket(() => ({ onMessage: (event, ws) => ws.send('…') })));
 * ```
 *
 * The connection's parent is found in the active context: on Bun and Deno that needs a context
 * manager, as every span a handler starts does.
 */
export function traceUpgradeWebSocket<T, U>(
  upgradeWebSocket: UpgradeWebSocket<T, U>,
  options: TracedWebSocketOptions = {},
): UpgradeWebSocket<T, U> {
  function traced(createEvents: CreateEvents<T>, upgradeOptions?: U): MiddlewareHandler;
  function traced(c: Context, events: WSEvents<T>, upgradeOptions?: U): Promise<Response>;
  function traced(
    first: CreateEvents<T> | Context,
    second?: U | WSEvents<T>,
    third?: U,
  ): MiddlewareHandler | Promise<Response> {
    if (typeof first === 'function') {
      const createEvents = first;
      const middleware = upgradeWebSocket(
        async (c) => {
          const parent = context.active();
          return tracedEvents(await createEvents(c), options, parent);
        },
        second as U | undefined,
      );
      return async function tracedUpgrade(c, next) {
        const parent = context.active();
        const response = await middleware(c, next);
        acceptOnPlaceholder(c, response, parent);
        return response;
      };
    }
    const c = first;
    const parent = context.active();
    const events = tracedEvents(second as WSEvents<T>, options, parent);
    return upgradeWebSocket(c, events, third).then((response) => {
      acceptOnPlaceholder(c, response, parent);
      return response;
    });
  }
  return traced as UpgradeWebSocket<T, U>;
}

/**
 * Bun upgrades the connection in `server.upgrade` and has Hono's helper answer the fetch with a
 * placeholder `200` it never sends: the handshake ends here, with the 101 Bun writes. Deno
 * answers with a real 101 response; `@hono/node-ws` (a placeholder too) has the status
 * read off the socket by `otel()`.
 */
function acceptOnPlaceholder(c: Context, response: unknown, parent: OtelContext): void {
  if (!(response instanceof Response) || response.status !== 200 || response.body !== null) {
    return;
  }
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return;
  if (nodeUpgradeSocket(c.env) !== undefined) return;
  acceptUpgrade(parent);
}

const kTracedSend = Symbol('@otel-http/hono traced send');
const noError = Symbol('no error');

/** The events of one connection, each run in its context, reporting to its span. */
function tracedEvents<T>(
  events: WSEvents<T>,
  options: TracedWebSocketOptions,
  parent: OtelContext,
): WSEvents<T> {
  let recorder: WebSocketSessionRecorder | undefined;
  // The last error a handler threw: Bun hands it to `onError`, where it must not count twice.
  let thrown: unknown = noError;
  const session = () => {
    recorder ??= startWebSocketSession({ ...options, context: parent });
    return recorder;
  };

  // Bun makes a new WSContext for every event; the others keep one per connection.
  const countSends = (ws: WSContext<T>, into: WebSocketSessionRecorder) => {
    const marked = ws as WSContext<T> & { [kTracedSend]?: true };
    if (marked[kTracedSend]) return;
    marked[kTracedSend] = true;
    const send = ws.send;
    ws.send = function tracedSend(this: WSContext<T>, source, sendOptions) {
      into.message('sent', source, typeof source !== 'string');
      return send.call(this, source, sendOptions);
    };
  };

  function run<E>(
    handler: ((evt: E, ws: WSContext<T>) => unknown) | undefined,
    evt: E,
    ws: WSContext<T>,
  ): unknown {
    // The handler's result goes back to the runtime: Bun's catches a rejected promise.
    const current = session();
    countSends(ws, current);
    if (handler === undefined) return;
    return context.with(current.context, () => {
      try {
        const result: unknown = handler(evt, ws);
        if (isThenable(result)) {
          // Observed, not handled: the runtime still sees the rejection of the promise it got.
          result.then(undefined, (error: unknown) => {
            thrown = error;
            current.error(error);
          });
        }
        return result;
      } catch (error) {
        thrown = error;
        current.error(error);
        throw error;
      }
    });
  }

  return {
    onOpen: (evt, ws) => run(events.onOpen, evt, ws),
    onMessage: (evt, ws) => {
      const data: unknown = evt.data;
      session().message('received', data, typeof data !== 'string');
      return run(events.onMessage, evt, ws);
    },
    onClose: (evt, ws) => {
      const current = session();
      try {
        return run(events.onClose, evt, ws);
      } finally {
        current.close(evt.code, evt.reason);
      }
    },
    onError: (evt, ws) => {
      // An error event without an error object (Deno's, for a connection lost mid-frame) says
      // nothing the close that follows does not.
      const error: unknown = (evt as { error?: unknown }).error;
      const rethrown = error === thrown;
      if (!rethrown && error !== undefined) session().error(error);
      if (events.onError !== undefined) return run(events.onError, evt, ws);
      // Without a handler of the app's, Bun throws a handler's error on: so do we.
      if (rethrown) throw error;
    },
  };
}
