import { context } from '@opentelemetry/api';
import {
  callSafely,
  createServerInstrumentation,
  type FetchConnectionInfo,
  type OtelHttpOptions,
  overrideOr,
} from '@otel-http/core';
import { endFetchRequest, startFetchRequest, withTraceResponseHeader } from '@otel-http/core/fetch';
import { endOnUpgradeResponse, startNodeRequest } from '@otel-http/core/node';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { logger } from './logger.js';
import { nodeBindings, nodeUpgradeConnection, nodeUpgradeSocket } from './node-bindings.js';
import { handlerRoute } from './route.js';
import { createRoutesLookup, dispatchedRoutePath } from './routes-lookup.js';

export type { FetchConnectionInfo, OtelHttpOptions } from '@otel-http/core';
export {
  activeSpan,
  EVENT_STREAM_HEADERS,
  type EventStream,
  type EventStreamOptions,
  eventStream,
  lastEventId,
  recordRequestError,
  type ServerSentEvent,
  traceFields,
  WEBSOCKET_ATTRIBUTES,
  withSpan,
} from '@otel-http/core';
export { type TracedWebSocketOptions, traceUpgradeWebSocket } from './websocket.js';

/** The options shared by every otel-http adapter, plus two that receive Hono's context. */
export interface OtelHonoOptions<E extends Env = Env> extends OtelHttpOptions {
  /**
   * Chooses the route from Hono's context once the handlers have run, for the span and the metrics
   * alike — e.g. the procedure name of an RPC router mounted behind `app.post('/rpc/*', …)`.
   * Receives the template Hono matched (`undefined` when none did); return `undefined` to keep it.
   * The result becomes a metric label: keep it low-cardinality. A throwing function is ignored.
   * Not called when the client hung up before the handlers finished; the `route` option, which
   * runs when the request ends, is.
   */
  routeFromContext?: (c: Context<E>, matched: string | undefined) => string | undefined;
  /**
   * What the runtime knows about the connection, which a Fetch `Request` does not carry: the
   * peer's address and port, the HTTP version — e.g. from `getConnInfo(c)` of `hono/bun`,
   * `hono/deno` or `hono/cloudflare-workers`. Used on every runtime but `@hono/node-server`, whose
   * raw request already tells. A throwing function is ignored.
   */
  connectionInfo?: (c: Context<E>) => FetchConnectionInfo | undefined;
}

/**
 * OpenTelemetry tracing and RED metrics for Hono: one SERVER span per request, the request duration
 * and active requests metrics, the route as Hono matched it (`basePath` and `app.route()` prefixes
 * included).
 *
 * Register it first, `app.use(otel())`, so that every handler runs with the server span active.
 * Under `@hono/node-server` the request ends when the Node response closes; on every other runtime
 * (Bun, Deno, Workers, `app.request()`) when the response body has been read to its end or
 * cancelled.
 *
 * @param options - Create the middleware once per application, not per request.
 */
export function otel<E extends Env = Env>(options: OtelHonoOptions<E> = {}): MiddlewareHandler<E> {
  const instrumentation = createServerInstrumentation(options);
  const { connectionInfo, routeFromContext } = options;
  const routesOf = createRoutesLookup();

  return createMiddleware<E>(async function otelMiddleware(c, next) {
    const node = nodeBindings(c.env);
    const handle = node
      ? startNodeRequest(instrumentation, node.incoming, node.outgoing)
      : startFetchRequest(
          instrumentation,
          c.req.raw,
          (connectionInfo &&
            callSafely('the connectionInfo option', () => connectionInfo(c), undefined, logger)) ??
            nodeUpgradeConnection(c.env),
        );
    if (handle === undefined) return next();

    const routes = routesOf(c);
    const ownIndex = c.req.routeIndex;
    // Hono matched every route before the chain started: report the handler now, so that a
    // request whose client hangs up mid-way still carries it.
    const expected = routes && handlerRoute(routes, ownIndex, ownIndex);
    if (expected !== undefined) handle.setRoute(expected);

    try {
      await context.with(handle.context, next);
    } catch (error) {
      // Hono's compose hands every `Error` to `onError`; only other thrown values get here, and
      // Hono passes them on to the runtime, so no response of the chain will follow.
      handle.recordError(error);
      if (!node) handle.end({ error });
      throw error;
    }

    const reached = c.req.routeIndex;
    const matched =
      reached === ownIndex
        ? expected
        : routes === undefined
          ? dispatchedRoutePath(c)
          : handlerRoute(routes, ownIndex, reached);
    const route =
      routeFromContext === undefined
        ? matched
        : overrideOr(
            callSafely(
              'the routeFromContext option',
              () => routeFromContext(c, matched),
              undefined,
              logger,
            ),
            matched,
          );
    if (route !== undefined && route !== handle.route) handle.setRoute(route);
    if (c.error !== undefined) handle.recordError(c.error);
    if (!c.finalized) {
      // Hono turns a chain without a response into its own error: nothing of ours to attach.
      if (!node) handle.end({});
      return;
    }
    // Installed before the trace header is added to it: Hono's setter copies the old headers over
    // the new response's, which would undo an appended Server-Timing entry.
    const replace = (copy: Response) => {
      c.res = copy;
      return c.res;
    };
    if (node) {
      // @hono/node-server writes this response's headers over the Node response's, and the Node
      // response's close ends the request (as aborted, with the stream's error, when a body
      // stream fails part way and @hono/node-server destroys the response with it).
      withTraceResponseHeader(handle, c.res, replace);
      return;
    }
    // @hono/node-ws: the upgrade's answer is written on the socket (101 once ws accepts), not
    // from this response, which only says whether the route took the upgrade.
    const upgradeSocket = nodeUpgradeSocket(c.env);
    if (upgradeSocket !== undefined && c.req.header('upgrade')?.toLowerCase() === 'websocket') {
      endOnUpgradeResponse(handle, upgradeSocket, c.res.status);
      return;
    }
    // Hono answers HEAD by running the GET route and dropping its body unread.
    const response = endFetchRequest(handle, c.res, { method: c.req.method, replace });
    // A body-less response comes back as it was; assigning it would make Hono copy it, and a
    // WebSocket upgrade (status 101, Workers' `webSocket`) does not survive a copy.
    if (response !== c.res) c.res = response;
  });
}
