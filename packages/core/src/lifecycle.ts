/**
 * The request lifecycle: one instrumentation per middleware (options resolved once, tracer and
 * instruments made at the first request), one handle per request. The handle's start and end are
 * short sequences over the pure rules of `request-attributes.ts` and `response-attributes.ts`.
 */
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { addBaggageAttributes } from './baggage.js';
import { type RequestRules, resolveRules } from './config.js';
import { logger } from './diag.js';
import {
  type ActiveCount,
  createInstruments,
  redInstruments,
  type ServerInstruments,
} from './metrics.js';
import { oldMetricAttributes } from './old-semconv.js';
import { parentOf } from './parent-context.js';
import { type RedMetrics, redMetricsFor, type SeriesAttributes } from './red-metrics.js';
import {
  type Endpoints,
  normalizeMethod,
  requestBodySizeOf,
  resolveEndpoints,
  startAttributes,
} from './request-attributes.js';
import { REQUEST_HANDLE_KEY, RequestContext } from './request-context.js';
import {
  failureOf,
  metricAttributes,
  responseHeaderAttributes,
  setEndSpanAttributes,
  spanNameOf,
  validSize,
  validStatus,
} from './response-attributes.js';
import { traceResponseHeader } from './response-header.js';
import { samplerIgnoresAttributes } from './sampler-inspection.js';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_SYNTHETIC_TYPE,
} from './semconv.js';
import type {
  OtelHttpOptions,
  RequestHandle,
  RequestInfo,
  RequestOutcome,
  ResolvedConfig,
  ServerInstrumentation,
} from './types.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

/**
 * `@opentelemetry/instrumentation-http` leaves this in the context of every incoming request
 * (`@opentelemetry/core`'s RPC metadata). Context keys are `Symbol.for(description)`, so we can
 * read it without depending on `@opentelemetry/core`.
 */
const RPC_METADATA_KEY = Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA');
interface RpcMetadata {
  type: string;
  span: Span;
  route?: string;
  /**
   * Set by `@otel-http/core/fetch` for a runtime's own server span (Deno's built-in
   * OpenTelemetry), which lacks most of the request attributes: we add ours at the start.
   */
  addRequestAttributes?: boolean;
}

/** The span of metrics-only requests without a caller: records nothing, carries no ids. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

const now: () => number = () => performance.now();

/** The attributes every metric of a request carries, and their identity. */
interface BaseAttributes {
  readonly key: string;
  readonly attributes: Attributes;
}

/**
 * Creates the instrumentation one middleware instance uses for all its requests: options are
 * resolved and environment variables read once, here; the tracer and the instruments are created
 * at the first request (so that providers registered after the middleware is created are used).
 */
export function createServerInstrumentation(options: OtelHttpOptions = {}): ServerInstrumentation {
  return new HttpServerInstrumentation(resolveRules(options));
}

class HttpServerInstrumentation implements ServerInstrumentation {
  readonly rules: RequestRules;
  readonly config: ResolvedConfig;
  private warnedAboutNesting = false;
  private tracerInstance: Tracer | undefined;
  private ignoresAttributes: boolean | undefined;
  private instrumentsInstance: ServerInstruments | undefined;
  /** `{ method, scheme }` attribute sets, shared by every request with the same pair. */
  private readonly baseAttributes = new Map<string, BaseAttributes>();

  constructor(rules: RequestRules) {
    this.rules = rules;
    this.config = rules.config;
  }

  get tracer(): Tracer {
    this.tracerInstance ??= (this.rules.tracerProvider ?? trace.getTracerProvider()).getTracer(
      SCOPE_NAME,
      SCOPE_VERSION,
    );
    return this.tracerInstance;
  }

  /**
   * Whether the tracer's sampler decides without attributes, so that the start attributes go only
   * on a span that records. Asked again while a proxy tracer has no delegate yet.
   */
  get samplerIgnoresAttributes(): boolean {
    this.ignoresAttributes ??= samplerIgnoresAttributes(this.tracer);
    return this.ignoresAttributes ?? false;
  }

  get instruments(): ServerInstruments {
    if (this.instrumentsInstance === undefined) {
      const provider = this.rules.meterProvider ?? metrics.getMeterProvider();
      // Old semantic conventions add a metric the producer does not keep: the API path has both.
      const red = this.config.emitOldSemconv ? undefined : redMetricsFor(provider);
      this.instrumentsInstance = red
        ? redInstruments(red, this.config)
        : createInstruments(provider.getMeter(SCOPE_NAME, SCOPE_VERSION), this.config);
    }
    return this.instrumentsInstance;
  }

  start(info: RequestInfo): RequestHandle | undefined {
    if (this.rules.isIgnored?.(info)) return undefined;
    const active = context.active();
    if (this.isNested(active)) return undefined;
    return new ServerRequestHandle(this, info, active);
  }

  /**
   * A request handle in the active context that has not ended means this request is already
   * being recorded: the middleware was registered twice on one chain (a sub-app with its own
   * `otel()` mounted in an instrumented app, `app.use(otel())` twice). It is recorded once.
   */
  private isNested(active: Context): boolean {
    const outer = active.getValue(REQUEST_HANDLE_KEY) as RequestHandle | undefined;
    if (outer === undefined || outer.ended) return false;
    if (!this.warnedAboutNesting) {
      this.warnedAboutNesting = true;
      logger.warn(
        'a request reached a second otel-http middleware while the first records it ' +
          '(registered twice, or in a mounted sub-application): it is recorded once, by the first',
      );
    }
    return true;
  }

  /** The `{ http.request.method, url.scheme }` set and its key, created once per pair. */
  baseAttributesFor(method: string, scheme: string): BaseAttributes {
    const key = `${method} ${scheme}`;
    let base = this.baseAttributes.get(key);
    if (base === undefined) {
      const attributes = Object.freeze({
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_URL_SCHEME]: scheme,
      });
      base = { key, attributes };
      this.baseAttributes.set(key, base);
    }
    return base;
  }
}

/**
 * What core's own helpers (the event stream of `sse.ts`) reach through a request's handle; not
 * part of the public {@link RequestHandle}.
 */
export interface HandleInternals {
  /** When the request started, in `performance.now()` milliseconds. */
  readonly startedAt: number;
  /** The request, as the adapter read it. */
  readonly requestInfo: RequestInfo;
  /**
   * Adds the attributes `attributes()` returns to the server span when the request ends, before
   * the response hook (only when the span is recording). A throw is contained and logged.
   */
  onEndAttributes(attributes: () => Attributes | undefined): void;
}

/** The internals of the handle of the request `ctx` belongs to, if core made that handle. */
export function handleInternals(handle: unknown): HandleInternals | undefined {
  return handle instanceof ServerRequestHandle ? handle : undefined;
}

class ServerRequestHandle implements RequestHandle, HandleInternals, SeriesAttributes {
  readonly context: Context;
  readonly span: Span;
  readonly responseHeader: readonly [string, string] | undefined;
  route: string | undefined;
  ended = false;
  adapterState: unknown = undefined;

  private readonly rules: RequestRules;
  private readonly instruments: ServerInstruments;
  private readonly info: RequestInfo;
  private readonly method: string;
  private readonly endpoints: Endpoints;
  private readonly startTime: number;
  /** Set when `@opentelemetry/instrumentation-http` owns the span: we enrich it instead. */
  private readonly rpc: RpcMetadata | undefined;
  /** `{ method, scheme }`: the attributes of every metric of this request. */
  private readonly base: Attributes;
  /** The identity of {@link base}, for the series key of the RED producer. */
  private readonly baseKey: string;
  /** This request's place in `http.server.active_requests`. */
  private readonly active: ActiveCount | undefined;
  /** Callbacks of {@link onEndAttributes}, made on the first call. */
  private endAttributes: Array<() => Attributes | undefined> | undefined;
  /** Whether {@link span} was started here, so is ours to end. */
  private readonly ownsSpan: boolean;
  private error: unknown;
  private hasError = false;
  // What the RED series of this request is made of, once it ended (see seriesAttributes).
  private seriesStatus: number | undefined;
  private seriesRoute: string | undefined;
  private seriesFailure: string | undefined;

  constructor(instrumentation: HttpServerInstrumentation, info: RequestInfo, active: Context) {
    this.startTime = now();
    const { rules, config, instruments } = instrumentation;
    this.rules = rules;
    this.instruments = instruments;
    this.info = info;
    const { method, original } = normalizeMethod(info.method, config.knownMethods);
    this.method = method;
    this.endpoints = resolveEndpoints(info, config.trustProxy);
    const base = instrumentation.baseAttributesFor(method, this.endpoints.scheme);
    // `user_agent.synthetic.type` is on the duration and body sizes, not on active_requests.
    const syntheticType = rules.syntheticTypeOf?.(info);
    if (syntheticType === undefined) {
      this.base = base.attributes;
      this.baseKey = base.key;
    } else {
      this.base = { ...base.attributes, [ATTR_USER_AGENT_SYNTHETIC_TYPE]: syntheticType };
      this.baseKey = `${base.key} ${syntheticType}`;
    }
    const rpc = active.getValue(RPC_METADATA_KEY) as RpcMetadata | undefined;
    // A runtime that owns the span (Deno) records all the HTTP server metrics itself.
    this.active = rpc?.addRequestAttributes
      ? undefined
      : instruments.activeRequests?.enter(base.key, base.attributes);

    if (rpc?.type === 'http' && rpc.span !== undefined) {
      this.rpc = rpc;
      this.span = rpc.span;
      this.ownsSpan = false;
      if (rpc.addRequestAttributes) {
        this.span.setAttributes(
          startAttributes(info, config, method, original, this.endpoints, syntheticType),
        );
      }
      this.context = new RequestContext(active, undefined, this);
    } else {
      const { parent, link } = parentOf(rules, info, active);
      if (config.tracing) {
        // A sampler that ignores attributes gets none: they are set on a span that records,
        // and an unsampled request builds none.
        const deferred = instrumentation.samplerIgnoresAttributes;
        this.span = instrumentation.tracer.startSpan(
          spanNameOf(method, undefined),
          {
            kind: SpanKind.SERVER,
            attributes: deferred
              ? undefined
              : this.startAttributesOf(config, original, syntheticType, parent),
            links: link ? [link] : undefined,
            root: link !== undefined,
            startTime: this.startTime,
          },
          parent,
        );
        if (deferred && this.span.isRecording()) {
          this.span.setAttributes(this.startAttributesOf(config, original, syntheticType, parent));
        }
        this.ownsSpan = true;
        this.context = new RequestContext(parent, this.span, this);
      } else {
        // Metrics only: no span, but the caller's context still flows to outgoing calls. The
        // handle's span only carries the caller's ids: nothing here may annotate or end a span.
        this.context = new RequestContext(parent, undefined, this);
        const caller = trace.getSpanContext(parent);
        this.span = caller === undefined ? NO_SPAN : trace.wrapSpanContext(caller);
        this.ownsSpan = false;
      }
    }
    this.responseHeader = config.traceResponseHeader
      ? traceResponseHeader(config.traceResponseHeader, this.span.spanContext())
      : undefined;
    if (rules.requestHook !== undefined && this.span.isRecording()) {
      rules.requestHook(this.span, info);
    }
  }

  /** The server span's start attributes, with the trusted caller's baggage entries asked for. */
  private startAttributesOf(
    config: ResolvedConfig,
    original: string | undefined,
    syntheticType: string | undefined,
    parent: Context,
  ): Attributes {
    const attributes = startAttributes(
      this.info,
      config,
      this.method,
      original,
      this.endpoints,
      syntheticType,
    );
    // The parent holds baggage only when it came from a trusted caller's headers.
    if (config.baggageToAttributes.length > 0) {
      addBaggageAttributes(attributes, propagation.getBaggage(parent), config.baggageToAttributes);
    }
    return attributes;
  }

  get startedAt(): number {
    return this.startTime;
  }

  get requestInfo(): RequestInfo {
    return this.info;
  }

  onEndAttributes(attributes: () => Attributes | undefined): void {
    if (this.ended) return;
    if (this.endAttributes === undefined) this.endAttributes = [attributes];
    else this.endAttributes.push(attributes);
  }

  setRoute(route: string): void {
    if (this.ended || typeof route !== 'string' || route.length === 0) return;
    this.route = route;
    if (this.rpc !== undefined) {
      // instrumentation-http names its span and labels its duration metric from this at its end.
      this.rpc.route = route;
      this.span.setAttribute(ATTR_HTTP_ROUTE, route);
      this.span.updateName(this.spanName(route));
    }
  }

  recordError(error: unknown): void {
    if (this.ended || this.hasError) return;
    this.error = error;
    this.hasError = true;
    // The owning instrumentation may end its span before we see the response close.
    if (this.rpc !== undefined) this.rules.recordException?.(this.span, error);
  }

  discard(): void {
    if (this.ended) return;
    this.ended = true;
    // The span is never ended, so no processor exports it.
    if (this.active !== undefined) this.active.value--;
  }

  /**
   * Whatever throws on the way (a hostile outcome, the SDK), `active_requests` is given back and
   * a span started here is ended, each exactly once.
   */
  end(outcome: RequestOutcome): void {
    if (this.ended) return;
    this.ended = true;
    const endTime = now();
    if (this.active !== undefined) this.active.value--;
    try {
      this.finish(outcome, endTime);
    } catch (error) {
      logger.error('ending the request telemetry failed', error);
    } finally {
      if (this.ownsSpan) this.endSpan(endTime);
    }
  }

  /** Decides the outcome, records the metrics, then annotates the span. */
  private finish(outcome: RequestOutcome, endTime: number): void {
    if (outcome.error !== undefined && !this.hasError) {
      this.error = outcome.error;
      this.hasError = true;
    }
    const status = validStatus(outcome.statusCode);
    const route = this.rules.routeOf ? this.rules.routeOf(this.info, this.route) : this.route;
    const failure = failureOf(outcome.aborted, status, this.hasError, this.error);
    const responseBodySize = validSize(outcome.responseBodySize);
    this.recordMetrics(endTime, status, route, failure, responseBodySize);

    const span = this.span;
    // On a span we do not own, recordError has recorded the exception already. Recorded before
    // the sampling test: an exception log record does not depend on the span being sampled.
    if (failure !== undefined && this.hasError && this.ownsSpan) {
      this.rules.recordException?.(span, this.error);
    }
    // A runtime's span gets our end attributes too; instrumentation-http sets its own.
    const annotates = this.ownsSpan || this.rpc?.addRequestAttributes === true;
    if (!annotates || !span.isRecording()) return;
    const { config, responseHook } = this.rules;
    setEndSpanAttributes(span, config, status, route, failure, responseBodySize);
    if (failure !== undefined) span.setStatus({ code: SpanStatusCode.ERROR });
    if (outcome.responseHeader !== undefined && config.captureResponseHeaders.length > 0) {
      span.setAttributes(responseHeaderAttributes(config, outcome.responseHeader));
    }
    span.updateName(this.spanName(route));
    if (this.endAttributes !== undefined) {
      for (const attributes of this.endAttributes) {
        try {
          const added = attributes();
          if (added !== undefined) span.setAttributes(added);
        } catch (error) {
          logger.error(
            'an end-of-request attribute callback threw; its attributes are left out',
            error,
          );
        }
      }
    }
    responseHook?.(span, this.info, outcome);
  }

  private recordMetrics(
    endTime: number,
    status: number | undefined,
    route: string | undefined,
    failure: string | undefined,
    responseBodySize: number | undefined,
  ): void {
    const {
      duration,
      oldDuration,
      requestBodySize,
      responseBodySize: responseSizes,
      red,
    } = this.instruments;
    if (red !== undefined) {
      this.recordRed(red, endTime, status, route, failure, responseBodySize);
      return;
    }
    if (!duration && !requestBodySize && !responseSizes) return;
    if (this.rpc?.addRequestAttributes) return;
    const { protocolVersion } = this.info;
    const attributes = metricAttributes(this.base, status, route, failure, protocolVersion);
    // With instrumentation-http active, it records the duration: never count it twice.
    if (this.rpc === undefined) {
      duration?.record((endTime - this.startTime) / 1000, attributes);
      oldDuration?.record(
        endTime - this.startTime,
        oldMetricAttributes(this.method, this.endpoints.scheme, status, route, protocolVersion),
      );
    }
    const requestBytes = requestBodySize ? requestBodySizeOf(this.info) : undefined;
    if (requestBytes !== undefined) requestBodySize?.record(requestBytes, attributes);
    if (responseBodySize !== undefined) responseSizes?.record(responseBodySize, attributes);
  }

  /** {@link recordMetrics} into the RED producer: the same measurements, found by key. */
  private recordRed(
    red: RedMetrics,
    endTime: number,
    status: number | undefined,
    route: string | undefined,
    failure: string | undefined,
    responseBodySize: number | undefined,
  ): void {
    if (this.rpc?.addRequestAttributes) return;
    const { metrics: enabled } = this.rules.config;
    const { protocolVersion } = this.info;
    const key = red.keys.keyOf(this.baseKey, status, route, failure, protocolVersion);
    const duration =
      enabled.duration && this.rpc === undefined ? (endTime - this.startTime) / 1000 : undefined;
    // The trace-based exemplar filter: only a recorded, sampled span is linked.
    const spanContext = duration !== undefined ? this.span.spanContext() : undefined;
    const sampled =
      spanContext !== undefined &&
      (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0 &&
      this.span.isRecording();
    this.seriesStatus = status;
    this.seriesRoute = route;
    this.seriesFailure = failure;
    red.record(
      key,
      this,
      duration,
      enabled.requestBodySize ? requestBodySizeOf(this.info) : undefined,
      enabled.responseBodySize ? responseBodySize : undefined,
      sampled ? spanContext : undefined,
      // The wall clock, as the span's end time is (the SDK anchors its clock to it).
      sampled ? Date.now() : undefined,
    );
  }

  /** The metric attributes of the series {@link recordRed} records into (for a new series). */
  seriesAttributes(): Attributes {
    return metricAttributes(
      this.base,
      this.seriesStatus,
      this.seriesRoute,
      this.seriesFailure,
      this.info.protocolVersion,
    );
  }

  private spanName(route: string | undefined): string {
    const name = spanNameOf(this.method, route);
    return this.rules.spanNameOf ? this.rules.spanNameOf(this.info, route, name) : name;
  }

  private endSpan(endTime: number): void {
    try {
      this.span.end(endTime);
    } catch (error) {
      logger.error('ending the server span failed', error);
    }
  }
}
