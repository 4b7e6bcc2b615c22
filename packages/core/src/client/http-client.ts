import {
  type Attributes,
  type Context,
  context,
  defaultTextMapSetter,
  type Histogram,
  type MeterProvider,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { resolveConfig } from '../config.js';
import { createExceptionRecorder, DEFAULT_EXCEPTION_LIMITS } from '../errors.js';
import { normalizeMethod } from '../request-attributes.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  DURATION_BUCKETS_SECONDS,
  OTHER,
} from '../semconv.js';
import type { ExceptionLoggerProvider, ExceptionSignal, ResolvedConfig } from '../types.js';
import { SCOPE_NAME, SCOPE_VERSION } from '../version.js';
import {
  clientErrorType,
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  redactedFullUrl,
  serverAddressOf,
  serverPortOf,
} from './attributes.js';

/** Options of the outgoing-request instrumentation (fetch or any other client). */
export interface HttpClientOptions {
  /** Tracer provider. Default: the globally registered one. */
  tracerProvider?: TracerProvider;
  /** Meter provider. Default: the globally registered one. */
  meterProvider?: MeterProvider;
  /** Propagator that writes the outgoing headers. Default: the globally registered one. */
  propagator?: TextMapPropagator;
  /**
   * Query parameters whose values become `REDACTED` in `url.full`: an array is added to the
   * semantic-convention defaults, a function receives them and returns the full list.
   */
  redactQueryParams?: readonly string[] | ((defaults: readonly string[]) => readonly string[]);
  /** Methods reported as they are; others become `_OTHER`. Default: as for server spans. */
  knownMethods?: readonly string[];
  /** Record `http.client.request.duration`. Default `true`. */
  metrics?: boolean;
  /**
   * How a failed call's error is recorded: `'span'` an `exception` span event, `'logs'` a log
   * record `http.client.request.exception` (severity WARN) in the span's context, `'logs/dup'`
   * both. Default: from `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN`, else `'span'`.
   */
  exceptionSignal?: ExceptionSignal;
  /** Where exception log records go. Default: the global one of `@opentelemetry/api-logs`. */
  loggerProvider?: ExceptionLoggerProvider;
}

/** The request being started, as the client is about to send it. */
export interface ClientRequestTarget {
  /** The method as it goes on the wire. */
  method: string;
  /** The absolute URL. */
  url: string | URL;
}

/** How an outgoing request ended. */
export interface ClientRequestOutcome {
  /** Status code of the response, when one arrived. */
  statusCode?: number;
  /** The error the request failed with (network error, abort, timeout). */
  error?: unknown;
  /**
   * The caller cancelled the request on purpose (its abort signal, not a timeout): not an error,
   * so no `error.type`, no exception and the status left UNSET.
   */
  cancelled?: boolean;
}

/** One outgoing request in flight. */
export interface ClientRequestHandle {
  /** The CLIENT span (non-recording when not sampled). */
  readonly span: Span;
  /** The context with the CLIENT span active: run the client call in it. */
  readonly context: Context;
  /** The propagation headers to send (`traceparent`, `tracestate`, `baggage`), lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Ends the span and records the duration. Idempotent. */
  end(outcome: ClientRequestOutcome): void;
}

/** Starts {@link ClientRequestHandle}s; create one per client, not per request. */
export interface HttpClientInstrumentation {
  /**
   * Starts the CLIENT span of a request as a child of the active span, and computes the headers that
   * carry its context. Returns `undefined` when the URL cannot be parsed (send the request as it is).
   */
  start(request: ClientRequestTarget): ClientRequestHandle | undefined;
}

/**
 * The instrumentation behind `instrumentedFetch`, for clients that are not `fetch` — `node:http`,
 * `undici` — so that they make the same CLIENT spans and propagate the same way:
 *
 * ```ts
 * const client = createHttpClientInstrumentation();
 * const handle = client.start({ method: 'GET', url });
 * const req = http.request(url, { headers: { ...handle?.headers } }, (res) => {
 *   handle?.end({ statusCode: res.statusCode });
 * });
 * req.on('error', (error) => handle?.end({ error }));
 * ```
 */
export function createHttpClientInstrumentation(
  options: HttpClientOptions = {},
): HttpClientInstrumentation {
  return new HttpClient(options);
}

class HttpClient implements HttpClientInstrumentation {
  private readonly options: HttpClientOptions;
  private configInstance: ResolvedConfig | undefined;
  private tracerInstance: Tracer | undefined;
  private durationInstance: Histogram | null | undefined;
  private recorderInstance: ((span: Span, error: unknown) => void) | undefined;

  constructor(options: HttpClientOptions) {
    this.options = options;
  }

  // Resolved at the first request, so that creating a client (even at import time) reads nothing.
  get config(): ResolvedConfig {
    this.configInstance ??= resolveConfig({
      knownMethods: this.options.knownMethods,
      redactQueryParams: this.options.redactQueryParams,
      exceptionSignal: this.options.exceptionSignal,
    });
    return this.configInstance;
  }

  get recordException(): (span: Span, error: unknown) => void {
    this.recorderInstance ??= createExceptionRecorder({
      signal: this.config.exceptionSignal,
      limits: DEFAULT_EXCEPTION_LIMITS,
      side: 'client',
      loggerProvider: this.options.loggerProvider,
    });
    return this.recorderInstance;
  }

  get tracer(): Tracer {
    this.tracerInstance ??= (this.options.tracerProvider ?? trace.getTracerProvider()).getTracer(
      SCOPE_NAME,
      SCOPE_VERSION,
    );
    return this.tracerInstance;
  }

  get duration(): Histogram | undefined {
    if (this.durationInstance === undefined) {
      this.durationInstance =
        this.options.metrics === false
          ? null
          : (this.options.meterProvider ?? metrics.getMeterProvider())
              .getMeter(SCOPE_NAME, SCOPE_VERSION)
              .createHistogram(METRIC_HTTP_CLIENT_REQUEST_DURATION, {
                description: 'Duration of HTTP client requests.',
                unit: 's',
                advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
              });
    }
    return this.durationInstance ?? undefined;
  }

  start(request: ClientRequestTarget): ClientRequestHandle | undefined {
    let url: URL;
    try {
      url = typeof request.url === 'string' ? new URL(request.url) : request.url;
    } catch {
      return undefined;
    }
    const { method, original } = normalizeMethod(request.method, this.config.knownMethods);
    const metricAttributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_SERVER_ADDRESS]: serverAddressOf(url),
    };
    const port = serverPortOf(url);
    if (port !== undefined) metricAttributes[ATTR_SERVER_PORT] = port;
    const spanAttributes: Attributes = {
      ...metricAttributes,
      [ATTR_URL_FULL]: redactedFullUrl(url, this.config.redactQueryParams),
    };
    if (original !== undefined) spanAttributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = original;

    const parent = context.active();
    const span = this.tracer.startSpan(
      method === OTHER ? 'HTTP' : method,
      { kind: SpanKind.CLIENT, attributes: spanAttributes },
      parent,
    );
    const spanContext = trace.setSpan(parent, span);
    const headers: Record<string, string> = {};
    try {
      (this.options.propagator ?? propagation).inject(spanContext, headers, defaultTextMapSetter);
    } catch {
      // A failing propagator must not fail the request: it is sent without context headers.
    }
    return new ClientHandle(
      span,
      spanContext,
      headers,
      metricAttributes,
      this.duration,
      this.recordException,
    );
  }
}

class ClientHandle implements ClientRequestHandle {
  readonly span: Span;
  readonly context: Context;
  readonly headers: Readonly<Record<string, string>>;
  private readonly metricAttributes: Attributes;
  private readonly duration: Histogram | undefined;
  private readonly recordException: (span: Span, error: unknown) => void;
  private readonly startTime = performance.now();
  private ended = false;

  constructor(
    span: Span,
    spanContext: Context,
    headers: Record<string, string>,
    metricAttributes: Attributes,
    duration: Histogram | undefined,
    recordException: (span: Span, error: unknown) => void,
  ) {
    this.span = span;
    this.context = spanContext;
    this.headers = headers;
    this.metricAttributes = metricAttributes;
    this.duration = duration;
    this.recordException = recordException;
  }

  end(outcome: ClientRequestOutcome): void {
    if (this.ended) return;
    this.ended = true;
    const added: Attributes = {};
    const { statusCode, error, cancelled } = outcome;
    if (typeof statusCode === 'number' && Number.isInteger(statusCode) && statusCode > 0) {
      added[ATTR_HTTP_RESPONSE_STATUS_CODE] = statusCode;
    }
    if (cancelled === true) {
      // Cancelled on purpose by the caller: not a failure of the call.
    } else if (error !== undefined) {
      added[ATTR_ERROR_TYPE] = clientErrorType(error);
      this.recordException(this.span, error);
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (typeof statusCode === 'number' && statusCode >= 400) {
      // For a client every 4xx and 5xx is a failed call (unlike server spans, where 4xx is UNSET).
      added[ATTR_ERROR_TYPE] = String(statusCode);
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.span.setAttributes(added);
    this.span.end();
    this.duration?.record((performance.now() - this.startTime) / 1000, {
      ...this.metricAttributes,
      ...added,
    });
  }
}
