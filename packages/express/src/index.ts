import { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import {
  createServerInstrumentation,
  type OtelHttpOptions,
  type RequestHandle,
} from '@otel-http/core';
import { shareBoundEmit, startNodeRequest } from '@otel-http/core/node';
import type { RequestHandler } from 'express';
import { logger } from './logger.js';
import { watchApp, watchRouteAssignments } from './route.js';
import { RequestState, stateOf } from './state.js';

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
  let sharedPrototype: unknown;
  return function otelHttp(req, res, next) {
    // Registered twice: the first one instruments the request.
    if (stateOf(req) !== undefined) {
      next();
      return;
    }
    const app: unknown = (req as { app?: unknown }).app;
    let handle: RequestHandle | undefined;
    try {
      const prototype: unknown = Object.getPrototypeOf(req);
      // Also for requests the ignore option leaves out: once per prototype.
      if (ADDED_PROPERTIES_COST_A_HIDDEN_CLASS && prototype !== sharedPrototype) {
        shareEmitOfExpress(req, res);
        sharedPrototype = prototype;
      }
      handle = startNodeRequest(instrumentation, req, res);
      if (handle !== undefined) {
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
    handle.adapterState = new RequestState(handle, app);
    context.with(handle.context, next);
  };
}

/**
 * V8 before 13 (Node 20 and 22) gives an object a new hidden class for every property added after
 * its prototype was changed, and Express changes the prototype of every request and response: each
 * property added to them costs about 1.8 µs there (four cost 7.0 µs per request on Node 20 and 22,
 * 0.2 µs on Node 24).
 */
const ADDED_PROPERTIES_COST_A_HIDDEN_CLASS = Number(process.versions.v8?.split('.')[0]) < 13;

/**
 * Express's own request and response prototypes (the ones every app's prototypes inherit, directly
 * above Node's) get the emit that binds listeners to the request's context, where adding it to each
 * request and response would cost a hidden class per object and request.
 */
function shareEmitOfExpress(req: object, res: object): void {
  const request = expressBase(req, IncomingMessage.prototype);
  const response = expressBase(res, ServerResponse.prototype);
  if (request !== undefined) shareBoundEmit(request);
  if (response !== undefined) shareBoundEmit(response, { followRequest: true });
}

/** The object of `instance`'s prototype chain directly above `node`, unless that is the instance. */
function expressBase(instance: object, node: object): object | undefined {
  let prototype: object | null = Object.getPrototypeOf(instance);
  while (prototype !== null) {
    const parent: object | null = Object.getPrototypeOf(prototype);
    if (parent === node) return prototype;
    prototype = parent;
  }
  return undefined;
}
