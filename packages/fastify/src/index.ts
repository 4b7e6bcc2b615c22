import type { IncomingMessage } from 'node:http';
import { type Context, context, type Span } from '@opentelemetry/api';
import {
  createServerInstrumentation,
  type OtelHttpOptions,
  type RequestHandle,
} from '@otel-http/core';
import { recordNodeRequestError, startNodeRequest, unbindEmitter } from '@otel-http/core/node';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

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
  type WebSocketSession,
  type WebSocketSessionOptions,
} from '@otel-http/core/node';

/** The telemetry of one instrumented request, as `request.otel` exposes it. */
export interface RequestTelemetry {
  /** The request's server span (non-recording when the sampler dropped the trace). */
  readonly span: Span;
  /** The context the request runs in, with the server span active in it. */
  readonly context: Context;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` leaves this route uninstrumented: no span and no metric for its requests. */
    otel?: boolean;
  }

  interface FastifyRequest {
    /**
     * The server span and context of this request; `undefined` when the request is not
     * instrumented (ignored, or its route opted out with `config: { otel: false }`).
     *
     * Hooks and handlers of the request lifecycle already run with the server span active, so
     * `trace.getActiveSpan()` is enough there, and so are listeners of `request.raw` and
     * `reply.raw` events (`onRequestAbort` included). This is for the places where it is not: the
     * `onTimeout` hook (a socket event), callbacks of libraries that lose the async context, and
     * code that runs inside a child span but must reach the server span.
     */
    readonly otel: RequestTelemetry | undefined;
  }
}

/** Where the plugin keeps a request's handle; private, so that users cannot end it. */
const kHandle = Symbol('@otel-http/fastify handle');

interface InstrumentedRequest extends FastifyRequest {
  [kHandle]: RequestHandle | null;
}

function requestTelemetry(this: FastifyRequest): RequestTelemetry | undefined {
  const handle = (this as InstrumentedRequest)[kHandle];
  return handle ? { span: handle.span, context: handle.context } : undefined;
}

const plugin: FastifyPluginCallback<OtelHttpOptions> = (fastify, options, done) => {
  // A second registration below the first would start a second server span for every request.
  if (fastify.hasRequestDecorator(kHandle)) {
    done(
      new Error('@otel-http/fastify is already registered: register it once, on the root instance'),
    );
    return;
  }
  const instrumentation = createServerInstrumentation(options);

  fastify.decorateRequest(kHandle, null);
  fastify.decorateRequest('otel', { getter: requestTelemetry });

  // Requests start at the server's 'request' event, ahead of Fastify's own listener: Fastify
  // answers some requests before any hook runs (a URL it cannot decode, a parameter over
  // `maxParamLength`, the 503 while closing), and those are recorded too. `null` marks a request
  // the ignore option left out. `inject()` emits no server event: `onRequest` starts those itself.
  // Only on the root instance (Fastify derives encapsulated instances from their parent by
  // prototype): registered inside a plugin, it must not record the requests of other plugins.
  // The early handle is kept on the raw request under a symbol of this registration: a `WeakMap`
  // keyed by requests costs the garbage collector several microseconds per request.
  const kStarted = Symbol('@otel-http/fastify started');
  type StartedRequest = IncomingMessage & { [kStarted]?: RequestHandle | null };
  if (Object.getPrototypeOf(fastify) === Object.prototype) {
    fastify.server?.prependListener('request', (req: StartedRequest, res) => {
      req[kStarted] = startNodeRequest(instrumentation, req, res) ?? null;
    });
  }

  // Fastify has matched the route before `onRequest` runs, so the route is known from the start.
  // The hook is callback-style on purpose: calling `next` inside `context.with` makes every later
  // hook, the handler and the reply run in the server span's context (Fastify carries the async
  // context across body parsing itself).
  fastify.addHook('onRequest', (request, reply, next) => {
    const route = request.routeOptions;
    const early = (request.raw as StartedRequest)[kStarted];
    let handle =
      early === undefined ? startNodeRequest(instrumentation, request.raw, reply.raw) : early;
    if (handle && route.config.otel === false) {
      handle.discard();
      // Its span is never exported: listeners must not make children of it.
      unbindEmitter(request.raw);
      unbindEmitter(reply.raw);
      handle = null;
    }
    if (!handle) {
      next();
      return;
    }
    if (route.url !== undefined) handle.setRoute(route.url);
    (request as InstrumentedRequest)[kHandle] = handle;
    context.with(handle.context, next);
  });

  // Only observes: the error handler still decides the reply, and core decides from the status
  // the client received whether the error fails the request. An error raised after the head went
  // out (a second `send`) cannot change that status, even if Fastify sets `statusCode` afterwards.
  fastify.addHook('onError', (request, reply, error, next) => {
    const handle = (request as InstrumentedRequest)[kHandle];
    if (handle) recordNodeRequestError(instrumentation, handle, reply.raw, error);
    next();
  });

  done();
};

/**
 * OpenTelemetry tracing and RED metrics for every route of a Fastify instance:
 * `await app.register(otel, options)` on the root instance, before the routes.
 *
 * The span ends when the raw response closes, so hijacked replies, streams, aborted and timed-out
 * requests are all measured to their real end, once. A route opts out with `config: { otel: false }`.
 */
export const otel = fp(plugin, { name: '@otel-http/fastify', fastify: '5.x' });
