import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import { createServerInstrumentation, type OtelHttpOptions } from '@otel-http/core';
import { startNodeRequest } from '@otel-http/core/node';
import { type RouterReport, routeFromRouter } from './route.js';

export type { OtelHttpOptions } from '@otel-http/core';
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
  withSpan,
} from '@otel-http/core';
export {
  traceWebSocket,
  type UpgradeOptions,
  upgradeListener,
  type WebSocketSession,
  type WebSocketSessionOptions,
} from '@otel-http/core/node';
export type { RouterLayerLike, RouterReport } from './route.js';

/** The parts of a Koa context the middleware uses. Every Koa 3 context has them. */
export interface OtelKoaContext extends RouterReport {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/** A Koa middleware, typed structurally so that it fits any application's context type. */
export type OtelKoaMiddleware = (
  ctx: OtelKoaContext,
  next: () => Promise<unknown>,
) => Promise<void>;

/**
 * OpenTelemetry tracing and RED metrics for Koa: one SERVER span per request, the request duration
 * and active requests metrics, the route as `@koa/router` matched it.
 *
 * Register it first (`app.use(otel())` before any other middleware), so that the rest of the chain
 * runs with the server span active and every error passes through it. Errors are recorded on the
 * span and rethrown unchanged for Koa's own handling.
 *
 * @param options - The options shared by every otel-http adapter. Create the middleware once per
 *   application, not per request.
 */
export function otel(options: OtelHttpOptions = {}): OtelKoaMiddleware {
  const instrumentation = createServerInstrumentation(options);

  return async function otelMiddleware(ctx, next) {
    const handle = startNodeRequest(instrumentation, ctx.req, ctx.res);
    if (!handle) {
      await next();
      return;
    }
    const reportRoute = () => {
      if (handle.ended) return;
      const route = routeFromRouter(ctx);
      if (route !== undefined) handle.setRoute(route);
    };
    // The router leaves the route on ctx, so it is read once the chain has settled. The chain may
    // also still run when the response closes (a client that hung up, a handler writing to
    // `ctx.res` itself): read it then as well, ahead of the listener that ends the handle.
    ctx.res.prependOnceListener('close', reportRoute);
    try {
      await context.with(handle.context, next);
    } catch (error) {
      handle.recordError(error);
      throw error;
    } finally {
      reportRoute();
    }
  };
}
