import { context, diag } from '@opentelemetry/api';
import {
  createServerInstrumentation,
  endOnFetchResponse,
  type FetchConnectionInfo,
  type OtelHttpOptions,
  type RequestHandle,
  requestInfoFromFetch,
} from '@otel-http/core';
import { startNodeRequest } from '@otel-http/core/node';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { type NodeBindings, nodeBindings } from './node-bindings.js';
import { handlerRoute } from './route.js';
import { createRoutesLookup, dispatchedRoutePath } from './routes-lookup.js';

export type { FetchConnectionInfo, OtelHttpOptions } from '@otel-http/core';
export { activeSpan, recordRequestError, traceFields, withSpan } from '@otel-http/core';

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

/** As core caps its `route` and `spanName` overrides: a route is a span name and a metric label. */
const MAX_ROUTE_OVERRIDE_LENGTH = 256;

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
      : instrumentation.start(
          requestInfoFromFetch(
            c.req.raw,
            connectionInfo === undefined
              ? undefined
              : callOption('connectionInfo', () => connectionInfo(c), undefined),
          ),
        );
    if (handle === undefined) return next();
    if (!node) endOnRequestAbort(handle, c.req.raw.signal);

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
    const chosen =
      routeFromContext === undefined
        ? undefined
        : callOption('routeFromContext', () => routeFromContext(c, matched), undefined);
    const route =
      typeof chosen === 'string' && chosen.length > 0
        ? chosen.slice(0, MAX_ROUTE_OVERRIDE_LENGTH)
        : matched;
    if (route !== undefined && route !== handle.route) handle.setRoute(route);
    if (c.error !== undefined) handle.recordError(c.error);
    if (!c.finalized) {
      // Hono turns a chain without a response into its own error: nothing of ours to attach.
      if (!node) handle.end({});
      return;
    }
    if (handle.responseHeader !== undefined) addResponseHeader(c, handle.responseHeader);
    // Under @hono/node-server the Node response's close ends the request.
    if (node) return endOnBodyError(handle, node.outgoing);
    // Hono answers HEAD by running the GET route and dropping its body unread: end now.
    const ending = c.req.method === 'HEAD' ? new Response(null, c.res) : c.res;
    const response = endOnFetchResponse(handle, ending);
    // A body-less response comes back as it was; assigning it would make Hono copy it, and a
    // WebSocket upgrade (status 101, Workers' `webSocket`) does not survive a copy.
    if (response !== c.res) c.res = response;
  });
}

/**
 * Bun, Deno and Workers abort the request's signal when the client hangs up, also while the
 * handlers still run and before any response exists to cancel: end the request then, as aborted,
 * with no status (none was sent). After a complete response the request has already ended.
 */
function endOnRequestAbort(handle: RequestHandle, signal: AbortSignal | undefined): void {
  if (signal === undefined || signal.aborted) return;
  signal.addEventListener('abort', () => handle.end({ aborted: true }), { once: true });
}

/**
 * `@hono/node-server` destroys the Node response with the error of a body stream that fails part
 * way; the response may still look finished when it closes. Ends the request first, as aborted
 * (the client got a truncated body), with the stream's error — as on the Fetch path.
 */
function endOnBodyError(handle: RequestHandle, outgoing: NodeBindings['outgoing']): void {
  outgoing.prependListener('close', () => {
    const error: unknown = outgoing.errored;
    if (error === null || error === undefined) return;
    const statusCode = outgoing.headersSent ? outgoing.statusCode : undefined;
    handle.end({ statusCode, error, aborted: true });
  });
}

/** Adds the trace response header to the final response, appending to a `Server-Timing` list. */
function addResponseHeader(c: Context, [name, value]: readonly [string, string]): void {
  const add = (headers: Headers) =>
    name === 'server-timing' ? headers.append(name, value) : headers.set(name, value);
  try {
    add(c.res.headers);
    return;
  } catch {
    // A response passed through from `fetch()` has immutable headers: answer with a copy.
  }
  try {
    // Assigned before adding: Hono's setter copies the old headers over the new response's.
    c.res = new Response(c.res.body, c.res);
    add(c.res.headers);
  } catch (error) {
    // Some responses cannot be copied (a 101 WebSocket upgrade): leave them as they are.
    diag.warn('@otel-http/hono: the trace response header could not be added', error);
  }
}

/** Runs a user-supplied option; a throw is reported through the diagnostic logger, not the request. */
function callOption<T>(name: string, run: () => T, fallback: T): T {
  try {
    return run();
  } catch (error) {
    diag.error(`@otel-http/hono: the ${name} option threw; it is ignored`, error);
    return fallback;
  }
}
