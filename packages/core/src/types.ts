import type {
  Attributes,
  Context,
  MeterProvider,
  Span,
  TextMapPropagator,
  TracerProvider,
} from '@opentelemetry/api';

/**
 * What an adapter reads from its framework's request, in framework-neutral form. Everything
 * semantic (host, port, user agent, forwarded headers, body size, redaction) is derived from it by
 * core, so that the four adapters cannot disagree.
 */
export interface RequestInfo {
  /** The method exactly as received (case preserved). */
  readonly method: string;
  /** The scheme this server was reached with before any proxy: `'http'` or `'https'`. */
  readonly scheme: string;
  /** The path component of the request target, without the query. */
  readonly path: string;
  /** The query component without the leading `?`; `undefined` when the target has none. */
  readonly query: string | undefined;
  /**
   * Reads one request header by its lower-case name. Repeated headers may come back as an array.
   * Must not throw.
   */
  header(name: string): string | string[] | undefined;
  /** Lower-case names of all request headers, for propagators that enumerate keys. */
  headerNames?(): string[];
  /** Address of the immediate peer (the socket's remote address). */
  readonly peerAddress?: string | undefined;
  /** Port of the immediate peer. */
  readonly peerPort?: number | undefined;
  /** HTTP version as `network.protocol.version` wants it: `'1.0'`, `'1.1'`, `'2'` or `'3'`. */
  readonly protocolVersion?: string | undefined;
}

/** How a request ended, as the adapter observed it. */
export interface RequestOutcome {
  /**
   * The status code the client was sent. Leave it out when no status line was sent (the client hung
   * up first, or the handler never answered).
   */
  statusCode?: number | undefined;
  /**
   * An error thrown or rejected by the handler chain, even if the framework turned it into a
   * response. Errors can also be reported earlier through {@link RequestHandle.recordError}.
   */
  error?: unknown;
  /** The client went away before the response was complete. */
  aborted?: boolean | undefined;
  /** Bytes of response body actually written, when the adapter counted them. */
  responseBodySize?: number | undefined;
  /** Reads a response header by lower-case name, for response header capture. */
  responseHeader?(name: string): string | string[] | number | undefined;
}

/** One server request in flight. Returned by {@link ServerInstrumentation.start}. */
export interface RequestHandle {
  /** The context to run the rest of the handler chain in: the server span is active in it. */
  readonly context: Context;
  /** The server span (non-recording when the sampler dropped the trace). */
  readonly span: Span;
  /**
   * The route template the framework matched, with every mount prefix
   * (`/api/v1/items/:itemId`). Call it when the framework matches; a later call replaces it.
   */
  setRoute(route: string): void;
  /** The route set so far, if any. */
  readonly route: string | undefined;
  /**
   * Records an error raised by the handler chain. Whether it makes the request an error is decided
   * at {@link end} from the status code the client finally received.
   */
  recordError(error: unknown): void;
  /**
   * Ends the span and records the metrics. Idempotent: only the first call counts, so adapters may
   * call it from every path that can finish a request.
   */
  end(outcome: RequestOutcome): void;
  /**
   * Forgets the request, for an adapter that learns only after the start that it must not be
   * recorded (a route that opted out): no span is exported, no duration recorded, and
   * `http.server.active_requests` is given back. Does nothing once ended.
   */
  discard(): void;
  /** Whether {@link end} or {@link discard} has run. */
  readonly ended: boolean;
  /**
   * The header to add to the response when {@link OtelHttpOptions.traceResponseHeader} is enabled,
   * as `[name, value]`; `undefined` otherwise. For `server-timing`, append to any existing value.
   */
  readonly responseHeader: readonly [name: string, value: string] | undefined;
  /**
   * The per-request state of the adapter that started the request, kept with the handle so that
   * the adapter adds no property of its own to the framework's request object (reach it again
   * with `requestHandleOf(req)` of `@otel-http/core/node`). Core never reads it; `undefined`
   * until the adapter sets it.
   */
  adapterState?: unknown;
}

/** Starts request handles. Create one per middleware instance with `createServerInstrumentation`. */
export interface ServerInstrumentation {
  /**
   * Starts the telemetry of one request: extracts the remote context, starts the SERVER span with
   * the attributes samplers need, increments `http.server.active_requests`. Returns `undefined` when
   * the request is ignored (the adapter then just runs the chain).
   */
  start(request: RequestInfo): RequestHandle | undefined;
  /** The resolved, read-only configuration (useful to adapters, e.g. which body sizes to count). */
  readonly config: ResolvedConfig;
}

/**
 * Where exceptions go, after `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN`: `'span'` an `exception`
 * span event (the default), `'logs'` a log record only, `'logs/dup'` both.
 */
export type ExceptionSignal = 'span' | 'logs' | 'logs/dup';

/** The log record an exception becomes under `'logs'` and `'logs/dup'`. */
export interface ExceptionLogRecord {
  /** `http.server.request.exception` or `http.client.request.exception`. */
  eventName: string;
  /** 17 (ERROR) for a server request, 13 (WARN) for a client request. */
  severityNumber: number;
  severityText: string;
  /** `exception.type`, `exception.message`, `exception.stacktrace`. */
  attributes: Attributes;
  /** Carries the request's span, so the record has its trace and span ids. */
  context: Context;
}

/**
 * The part of a `LoggerProvider` of `@opentelemetry/api-logs` that exception log records need,
 * spelled out so that core does not depend on that package: the SDK's `LoggerProvider` fits it.
 */
export interface ExceptionLoggerProvider {
  getLogger(name: string, version?: string): { emit(record: ExceptionLogRecord): void };
}

/** Which of the RED metrics to record. */
export interface MetricsOptions {
  /** `http.server.request.duration`. Default `true`. */
  duration?: boolean;
  /** `http.server.active_requests`. Default `true`. */
  activeRequests?: boolean;
  /** `http.server.request.body.size` (opt-in). Default `false`. */
  requestBodySize?: boolean;
  /** `http.server.response.body.size` (opt-in). Default `false`. */
  responseBodySize?: boolean;
}

/**
 * The options every adapter accepts, unchanged. All are optional; the defaults follow the stable
 * HTTP semantic conventions and keep personal data out of telemetry.
 */
export interface OtelHttpOptions {
  /** Tracer provider to use. Default: the globally registered one. */
  tracerProvider?: TracerProvider;
  /** Meter provider to use. Default: the globally registered one (looked up at the first request). */
  meterProvider?: MeterProvider;
  /** Propagator for incoming context. Default: the globally registered one (W3C by default). */
  propagator?: TextMapPropagator;
  /**
   * Requests for which no span and no metric is recorded (health checks, metrics scrapes).
   * Strings match the path exactly; regular expressions are tested against the path; a function
   * receives the request. Default: nothing is ignored.
   */
  ignore?: string | RegExp | ((request: RequestInfo) => boolean) | ReadonlyArray<string | RegExp>;
  /**
   * Overrides the span name. Receives the request and the matched route (if any). A non-string or
   * empty result falls back to the default name; long results are cut to 256 characters.
   * Default: `{METHOD} {route}`, or `{METHOD}` without a route.
   */
  spanName?: (request: RequestInfo, route: string | undefined) => string;
  /**
   * Overrides the route at the end of the request, for span and metrics alike (e.g. RPC-style
   * routers behind a wildcard). Return `undefined` to keep the matched one. Must stay
   * low-cardinality: it becomes a metric label.
   */
  route?: (request: RequestInfo, matched: string | undefined) => string | undefined;
  /** Called after the span starts, with the span and the request. Errors are contained. */
  requestHook?: (span: Span, request: RequestInfo) => void;
  /** Called just before the span ends. Errors are contained. */
  responseHook?: (span: Span, request: RequestInfo, outcome: RequestOutcome) => void;
  /**
   * Request headers to record as `http.request.header.<name>` (case-insensitive). Default: none.
   * `authorization`, `cookie`, `set-cookie`, `proxy-authorization` and {@link sensitiveHeaders}
   * are recorded as `REDACTED` even when listed.
   */
  captureRequestHeaders?: readonly string[];
  /** Response headers to record as `http.response.header.<name>`. Default: none. Same redaction. */
  captureResponseHeaders?: readonly string[];
  /** More header names whose values are always redacted when captured. */
  sensitiveHeaders?: readonly string[];
  /**
   * Query parameters whose values are replaced by `REDACTED` in `url.query`. An array is added to
   * the semantic-convention defaults (`AWSAccessKeyId`, `Signature`, `sig`, `X-Goog-Signature`,
   * `X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`); a function receives the
   * defaults and returns the full list. Keys match case-sensitively.
   */
  redactQueryParams?: readonly string[] | ((defaults: readonly string[]) => readonly string[]);
  /**
   * Whether to continue the caller's trace. `false` (or a predicate returning `false`) starts a new
   * root span that links to the caller's span context, and ignores the caller's baggage: the
   * setting for edge services facing untrusted clients. Default `true`.
   */
  trustRemoteContext?: boolean | ((request: RequestInfo) => boolean);
  /**
   * Baggage keys whose entries become attributes of the server span when it starts (so samplers
   * see them), each under its key: `['session.id']` turns the caller's `session.id=abc` into the
   * attribute `session.id: 'abc'`. Read from the caller's propagated context, so never from an
   * untrusted caller (see {@link trustRemoteContext}), and never put on metrics. Only non-empty
   * string values are used, cut to 256 characters; a key naming an attribute the instrumentation
   * sets itself (`url.path`, …) does not replace it. The client chooses the values: list only keys
   * whose values you are willing to store. Default: none.
   */
  baggageToAttributes?: readonly string[];
  /**
   * Whether `Forwarded` / `X-Forwarded-*` headers come from a proxy you trust. Only then do they
   * set `server.address`, `server.port`, `client.address` and `url.scheme`. Default `false`.
   */
  trustProxy?: boolean;
  /**
   * Adds the trace id to the response: `'traceparent'` as a `traceparent` header, `'server-timing'`
   * as `Server-Timing: trace;desc=00-<trace-id>-<span-id>-<flags>`. Exposes ids to clients, so off
   * by default.
   */
  traceResponseHeader?: false | 'traceparent' | 'server-timing';
  /** Create spans. `false` records metrics only (context is still propagated). Default `true`. */
  tracing?: boolean;
  /** Which metrics to record; `false` records none. Default: duration and active requests. */
  metrics?: boolean | MetricsOptions;
  /** Record a failed request's error as an exception (see {@link exceptionSignal}). Default `true`. */
  recordException?: boolean;
  /**
   * How exceptions are recorded: `'span'` as an `exception` span event, `'logs'` as a log record
   * `http.server.request.exception` (severity ERROR) in the request's span context, `'logs/dup'`
   * both. Default: from `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN` (`logs`, `logs/dup`), else `'span'`.
   */
  exceptionSignal?: ExceptionSignal;
  /**
   * Where exception log records go under `'logs'` / `'logs/dup'`. Default: the global one of
   * `@opentelemetry/api-logs` (`logs.setGlobalLoggerProvider`), looked up when a record is emitted;
   * without one, no record is emitted.
   */
  loggerProvider?: ExceptionLoggerProvider;
  /**
   * Opt-in `user_agent.synthetic.type` on the span and the duration and body-size metrics. `true`
   * uses the built-in classifier of the `User-Agent` header (`bot` for crawlers, `test` for
   * synthetic monitors and test tools; see `syntheticTypeOf`); a function is your own, returning
   * a low-cardinality value or `undefined` (values are cut to 32 characters). Default `false`.
   */
  syntheticType?: boolean | ((request: RequestInfo) => string | undefined);
  /**
   * The longest `exception.message` and `exception.stacktrace` an `exception` event gets; longer
   * text is cut. Default: 4,096 and 16,384 characters. The SDK's attribute limits still apply on
   * top. A value that is not a whole number of at least 0 keeps the default.
   */
  exceptionLimits?: { messageLength?: number; stacktraceLength?: number };
  /**
   * Methods known to the application; others are reported as `_OTHER`. Default: the methods of
   * RFC 9110, PATCH and QUERY, or `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS` (comma-separated) when
   * set. Either list replaces the default one; it is not added to it.
   */
  knownMethods?: readonly string[];
  /**
   * Which attribute names to emit: `'stable'` only, or `'dup'` for the old and the stable ones.
   * Default: from `OTEL_SEMCONV_STABILITY_OPT_IN` (`http/dup` → `'dup'`), else `'stable'`.
   */
  semconvStability?: 'stable' | 'dup';
}

/** The options after defaults and environment variables are applied. */
export interface ResolvedConfig {
  readonly tracing: boolean;
  readonly metrics: Readonly<Required<MetricsOptions>>;
  readonly recordException: boolean;
  readonly exceptionSignal: ExceptionSignal;
  readonly exceptionLimits: Readonly<{ messageLength: number; stacktraceLength: number }>;
  readonly knownMethods: ReadonlySet<string>;
  readonly emitOldSemconv: boolean;
  readonly trustProxy: boolean;
  readonly traceResponseHeader: false | 'traceparent' | 'server-timing';
  readonly captureRequestHeaders: readonly string[];
  readonly captureResponseHeaders: readonly string[];
  readonly sensitiveHeaders: ReadonlySet<string>;
  readonly redactQueryParams: ReadonlySet<string>;
  /** The baggage keys recorded as span attributes; empty when none is. */
  readonly baggageToAttributes: readonly string[];
}
