import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Link,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { boundedBaggage } from './baggage.js';
import { resolveConfig } from './config.js';
import { callSafely, logger } from './diag.js';
import { errorType, exceptionOf } from './errors.js';
import { type ActiveCount, createInstruments, type ServerInstruments } from './metrics.js';
import { headerAttributeValue } from './redact.js';
import {
  type Endpoints,
  normalizeMethod,
  requestBodySizeOf,
  resolveEndpoints,
  startAttributes,
} from './request-attributes.js';
import { REQUEST_HANDLE_KEY, RequestContext } from './request-context.js';
import { traceResponseHeader } from './response-header.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_BODY_SIZE,
  ATTR_HTTP_RESPONSE_HEADER_PREFIX,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_SCHEME,
  ERROR_TYPE_ABORTED,
  OLD_ATTR_HTTP_FLAVOR,
  OLD_ATTR_HTTP_METHOD,
  OLD_ATTR_HTTP_SCHEME,
  OLD_ATTR_HTTP_STATUS_CODE,
  OTHER,
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

/** Longest span name or route taken from user overrides; longer results are cut. */
const MAX_OVERRIDE_LENGTH = 256;

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
}

/**
 * How propagators read a request. `baggage` is bounded before any propagator parses it (see
 * `boundedBaggage`): the SDK's parser tries every member, valid or not.
 */
const requestInfoGetter: TextMapGetter<RequestInfo> = {
  keys: (info) => info.headerNames?.() ?? [],
  get: (info, key) => {
    const name = key.toLowerCase();
    return name === 'baggage' ? boundedBaggage(info.header(name)) : info.header(name);
  },
};

/** For a caller whose context is not trusted: only what a link needs, no baggage parsed. */
const untrustedRequestInfoGetter: TextMapGetter<RequestInfo> = {
  keys: (info) => (info.headerNames?.() ?? []).filter((name) => name !== 'baggage'),
  get: (info, key) => {
    const name = key.toLowerCase();
    return name === 'baggage' ? undefined : info.header(name);
  },
};

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
  return new HttpServerInstrumentation(options);
}

class HttpServerInstrumentation implements ServerInstrumentation {
  readonly config: ResolvedConfig;
  readonly options: OtelHttpOptions;
  private readonly ignored: ((info: RequestInfo) => boolean) | undefined;
  private warnedAboutIgnore = false;
  private warnedAboutNesting = false;
  private tracerInstance: Tracer | undefined;
  private instrumentsInstance: ServerInstruments | undefined;
  /** `{ method, scheme }` attribute sets, shared by every request with the same pair. */
  private readonly baseAttributes = new Map<string, BaseAttributes>();

  constructor(options: OtelHttpOptions) {
    this.options = options;
    this.config = resolveConfig(options);
    this.ignored = compileIgnore(options.ignore);
  }

  get tracer(): Tracer {
    this.tracerInstance ??= (this.options.tracerProvider ?? trace.getTracerProvider()).getTracer(
      SCOPE_NAME,
      SCOPE_VERSION,
    );
    return this.tracerInstance;
  }

  get instruments(): ServerInstruments {
    this.instrumentsInstance ??= createInstruments(
      (this.options.meterProvider ?? metrics.getMeterProvider()).getMeter(
        SCOPE_NAME,
        SCOPE_VERSION,
      ),
      this.config,
    );
    return this.instrumentsInstance;
  }

  start(info: RequestInfo): RequestHandle | undefined {
    if (this.ignored !== undefined && this.isIgnored(this.ignored, info)) return undefined;
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

  /** Only a synchronous `true` ignores: a promise (an async predicate) would ignore everything. */
  private isIgnored(ignored: (info: RequestInfo) => boolean, info: RequestInfo): boolean {
    const verdict: unknown = callSafely('the ignore option', () => ignored(info), false);
    if (typeof verdict === 'boolean') return verdict;
    if (!this.warnedAboutIgnore) {
      this.warnedAboutIgnore = true;
      logger.warn(
        `the ignore option returned ${verdict === null ? 'null' : typeof verdict}, not a boolean: ` +
          'requests are recorded. It must return true or false synchronously.',
      );
    }
    return false;
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

  /**
   * The parent context to start the server span in, and a link when the caller is not trusted.
   * The parent comes from the request's headers only: a span or baggage that was active where
   * the server was started or dispatched (a traced startup) is not the caller's, so it is left out
   * (other context entries stay).
   */
  parentOf(info: RequestInfo, active: Context): { parent: Context; link: Link | undefined } {
    let base = active;
    if (trace.getSpan(base) !== undefined) base = trace.deleteSpan(base);
    if (propagation.getBaggage(base) !== undefined) base = propagation.deleteBaggage(base);
    const trusted = this.trusts(info);
    // Not through `callSafely`: this runs for every request, and a closure per call adds up.
    let extracted = base;
    try {
      const getter = trusted ? requestInfoGetter : untrustedRequestInfoGetter;
      extracted = this.options.propagator
        ? this.options.propagator.extract(base, info, getter)
        : propagation.extract(base, info, getter);
    } catch (error) {
      logger.error('the propagator threw; the request continues without it', error);
    }
    if (trusted || extracted === base) return { parent: extracted, link: undefined };
    const remote = trace.getSpanContext(extracted);
    const link = remote && trace.isSpanContextValid(remote) ? { context: remote } : undefined;
    return { parent: base, link };
  }

  private trusts(info: RequestInfo): boolean {
    const trust = this.options.trustRemoteContext;
    if (trust === undefined || trust === true) return true;
    if (trust === false) return false;
    return callSafely('the trustRemoteContext predicate', () => trust(info) === true, false);
  }
}

class ServerRequestHandle implements RequestHandle {
  readonly context: Context;
  readonly span: Span;
  readonly responseHeader: readonly [string, string] | undefined;
  route: string | undefined;
  ended = false;

  private readonly instrumentation: HttpServerInstrumentation;
  private readonly info: RequestInfo;
  private readonly method: string;
  private readonly endpoints: Endpoints;
  private readonly startTime: number;
  /** Set when `@opentelemetry/instrumentation-http` owns the span: we enrich it instead. */
  private readonly rpc: RpcMetadata | undefined;
  /** `{ method, scheme }`: the attributes of every metric of this request. */
  private readonly base: Attributes;
  /** This request's place in `http.server.active_requests`. */
  private readonly active: ActiveCount | undefined;
  /** Whether {@link span} was started here, so is ours to end. */
  private readonly ownsSpan: boolean;
  private error: unknown;
  private hasError = false;

  constructor(instrumentation: HttpServerInstrumentation, info: RequestInfo, active: Context) {
    this.startTime = now();
    this.instrumentation = instrumentation;
    this.info = info;
    const { config } = instrumentation;
    const { method, original } = normalizeMethod(info.method, config.knownMethods);
    this.method = method;
    this.endpoints = resolveEndpoints(info, config.trustProxy);
    const base = instrumentation.baseAttributesFor(method, this.endpoints.scheme);
    this.base = base.attributes;
    this.active = instrumentation.instruments.activeRequests?.enter(base.key, base.attributes);

    const rpc = active.getValue(RPC_METADATA_KEY) as RpcMetadata | undefined;
    if (rpc?.type === 'http' && rpc.span !== undefined) {
      this.rpc = rpc;
      this.span = rpc.span;
      this.ownsSpan = false;
      this.context = new RequestContext(active, undefined, this);
    } else {
      const { parent, link } = instrumentation.parentOf(info, active);
      if (config.tracing) {
        this.span = instrumentation.tracer.startSpan(
          method === OTHER ? 'HTTP' : method,
          {
            kind: SpanKind.SERVER,
            attributes: startAttributes(info, config, method, original, this.endpoints),
            links: link ? [link] : undefined,
            root: link !== undefined,
            startTime: this.startTime,
          },
          parent,
        );
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
    const { requestHook } = instrumentation.options;
    if (requestHook !== undefined && this.span.isRecording()) {
      callSafely('requestHook', () => requestHook(this.span, info), undefined);
    }
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
    const { config } = this.instrumentation;
    if (this.rpc !== undefined && config.recordException) {
      // The owning instrumentation may end its span before we see the response close.
      try {
        this.span.recordException(exceptionOf(error, config.exceptionLimits));
      } catch (failure) {
        logger.error('recording the exception failed', failure);
      }
    }
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

  private endSpan(endTime: number): void {
    try {
      this.span.end(endTime);
    } catch (error) {
      logger.error('ending the server span failed', error);
    }
  }

  private finish(outcome: RequestOutcome, endTime: number): void {
    const { config, instruments, options } = this.instrumentation;
    if (outcome.error !== undefined && !this.hasError) {
      this.error = outcome.error;
      this.hasError = true;
    }
    const status = validStatus(outcome.statusCode);
    const route = this.finalRoute();

    let failure: string | undefined;
    if (outcome.aborted) failure = ERROR_TYPE_ABORTED;
    else if (status === undefined) failure = this.hasError ? errorType(this.error) : OTHER;
    else if (status >= 500) failure = this.hasError ? errorType(this.error) : String(status);

    const base = this.base;
    if (instruments.duration || instruments.requestBodySize || instruments.responseBodySize) {
      const attributes: Attributes = { ...base };
      if (status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
      if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
      if (failure !== undefined) attributes[ATTR_ERROR_TYPE] = failure;
      if (this.info.protocolVersion !== undefined) {
        attributes[ATTR_NETWORK_PROTOCOL_VERSION] = this.info.protocolVersion;
      }
      // With instrumentation-http active, it records the duration: never count it twice.
      if (this.rpc === undefined) {
        instruments.duration?.record((endTime - this.startTime) / 1000, attributes);
        instruments.oldDuration?.record(
          endTime - this.startTime,
          this.oldAttributes(status, route),
        );
      }
      const requestBytes = instruments.requestBodySize ? requestBodySizeOf(this.info) : undefined;
      if (requestBytes !== undefined) instruments.requestBodySize?.record(requestBytes, attributes);
      const responseBytes = validSize(outcome.responseBodySize);
      if (responseBytes !== undefined)
        instruments.responseBodySize?.record(responseBytes, attributes);
    }

    const span = this.span;
    if (!this.ownsSpan || !span.isRecording()) return;
    if (status !== undefined) {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (config.emitOldSemconv) span.setAttribute(OLD_ATTR_HTTP_STATUS_CODE, status);
    }
    if (route !== undefined) span.setAttribute(ATTR_HTTP_ROUTE, route);
    if (failure !== undefined) {
      span.setAttribute(ATTR_ERROR_TYPE, failure);
      span.setStatus({ code: SpanStatusCode.ERROR });
      if (this.hasError && config.recordException) {
        span.recordException(exceptionOf(this.error, config.exceptionLimits));
      }
    }
    if (config.metrics.responseBodySize) {
      const responseBytes = validSize(outcome.responseBodySize);
      if (responseBytes !== undefined)
        span.setAttribute(ATTR_HTTP_RESPONSE_BODY_SIZE, responseBytes);
    }
    const readHeader = outcome.responseHeader;
    if (readHeader !== undefined) {
      for (const name of config.captureResponseHeaders) {
        const value = headerAttributeValue(
          callSafely('reading a response header', () => readHeader(name), undefined),
          config.sensitiveHeaders.has(name),
        );
        if (value !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_HEADER_PREFIX + name, value);
      }
    }
    span.updateName(this.spanName(route));
    const { responseHook } = options;
    if (responseHook !== undefined) {
      callSafely('responseHook', () => responseHook(span, this.info, outcome), undefined);
    }
  }

  /** The matched route, unless the `route` option overrides it with a usable string. */
  private finalRoute(): string | undefined {
    const override = this.instrumentation.options.route;
    if (override === undefined) return this.route;
    const chosen = callSafely('the route option', () => override(this.info, this.route), undefined);
    if (typeof chosen !== 'string' || chosen.length === 0) return this.route;
    return chosen.length > MAX_OVERRIDE_LENGTH ? chosen.slice(0, MAX_OVERRIDE_LENGTH) : chosen;
  }

  private spanName(route: string | undefined): string {
    const methodPart = this.method === OTHER ? 'HTTP' : this.method;
    const fallback = route === undefined ? methodPart : `${methodPart} ${route}`;
    const override = this.instrumentation.options.spanName;
    if (override === undefined) return fallback;
    const chosen = callSafely('the spanName option', () => override(this.info, route), fallback);
    if (typeof chosen !== 'string' || chosen.length === 0) return fallback;
    return chosen.length > MAX_OVERRIDE_LENGTH ? chosen.slice(0, MAX_OVERRIDE_LENGTH) : chosen;
  }

  private oldAttributes(status: number | undefined, route: string | undefined): Attributes {
    const attributes: Attributes = {
      [OLD_ATTR_HTTP_METHOD]: this.method,
      [OLD_ATTR_HTTP_SCHEME]: this.endpoints.scheme,
    };
    if (status !== undefined) attributes[OLD_ATTR_HTTP_STATUS_CODE] = status;
    if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
    if (this.info.protocolVersion !== undefined) {
      attributes[OLD_ATTR_HTTP_FLAVOR] = this.info.protocolVersion;
    }
    return attributes;
  }
}

function validStatus(code: unknown): number | undefined {
  return typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 999
    ? code
    : undefined;
}

function validSize(size: unknown): number | undefined {
  return typeof size === 'number' && Number.isFinite(size) && size >= 0 ? size : undefined;
}

/** Turns the `ignore` option into one predicate (or none). */
function compileIgnore(
  ignore: OtelHttpOptions['ignore'],
): ((info: RequestInfo) => boolean) | undefined {
  if (ignore === undefined) return undefined;
  if (typeof ignore === 'function') return ignore;
  const rules = (Array.isArray(ignore) ? ignore : [ignore]) as ReadonlyArray<string | RegExp>;
  const exact = new Set(rules.filter((rule): rule is string => typeof rule === 'string'));
  // A global or sticky expression keeps state between test() calls: use a stateless copy.
  const patterns = rules
    .filter((rule): rule is RegExp => rule instanceof RegExp)
    .map((rule) => new RegExp(rule.source, rule.flags.replace(/[gy]/g, '')));
  if (exact.size === 0 && patterns.length === 0) return undefined;
  return (info) => exact.has(info.path) || patterns.some((pattern) => pattern.test(info.path));
}
