import { context } from '@opentelemetry/api';
import {
  createServerInstrumentation,
  type OtelHttpOptions,
  type RequestHandle,
} from '@otel-http/core';
import { startNodeRequest } from '@otel-http/core/node';
import type { RequestHandler } from 'express';
import { logger } from './logger.js';
import { watchApp, watchRouteAssignments } from './route.js';
import { type InstrumentedRequest, kState, type RequestState } from './state.js';

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

/**
 * OpenTelemetry tracing and RED metrics for Express 5 (and 4.21): one SERVER span per request
 * named after the matched route template (with the mount path of every router and sub-app), the
 * stable HTTP semantic conventions, `http.server.request.duration` and
 * `http.server.active_requests`. Register it first, before any other middleware:
 *
 * ```ts
 * app.use(otel());
 * ```
 *
 * The instrumentation is created once, here; each request is started from the Node request,
 * the rest of the chain runs with the server span active, and the span ends when the response
 * closes (a streamed body is measured to its last byte; a client that hangs up ends it at once).
 *
 * @param options - Core's {@link OtelHttpOptions}, unchanged.
 */
export function otel(options: OtelHttpOptions = {}): RequestHandler {
  const instrumentation = createServerInstrumentation(options);
  // Express gives every request of an app the same prototype: look at a new one only.
  let watchedPrototype: unknown;
  return function otelHttp(req, res, next) {
    const request = req as unknown as InstrumentedRequest & { app?: unknown };
    // Registered twice: the first one instruments the request.
    if (request[kState] !== undefined) {
      next();
      return;
    }
    const app = request.app;
    let handle: RequestHandle | undefined;
    try {
      handle = startNodeRequest(instrumentation, req, res);
      if (handle !== undefined) {
        const prototype: unknown = Object.getPrototypeOf(req);
        if (prototype !== watchedPrototype) {
          watchRouteAssignments(prototype);
          watchedPrototype = prototype;
        }
        watchApp(app);
      }
    } catch (error) {
      // Telemetry must never cost the request.
      logger.error('could not start the request telemetry', error);
    }
    if (handle === undefined) {
      next();
      return;
    }
    const state: RequestState = {
      handle,
      lastError: undefined,
      route: undefined,
      mounts: undefined,
      app,
    };
    request[kState] = state;
    context.with(handle.context, next);
  };
}
