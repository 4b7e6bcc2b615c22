import type { MeterProvider, Span, TextMapPropagator, TracerProvider } from '@opentelemetry/api';
import { callSafely, logger } from './diag.js';
import { createExceptionRecorder, DEFAULT_EXCEPTION_LIMITS, exceptionSignalOf } from './errors.js';
import { MAX_SYNTHETIC_TYPE_LENGTH, syntheticTypeOf } from './request-attributes.js';
import {
  ALWAYS_REDACTED_HEADERS,
  DEFAULT_KNOWN_METHODS,
  DEFAULT_REDACTED_QUERY_PARAMS,
} from './semconv.js';
import type {
  MetricsOptions,
  OtelHttpOptions,
  RequestInfo,
  RequestOutcome,
  ResolvedConfig,
} from './types.js';

/** Reads an environment variable where there is an environment (Node, Bun, Deno with access). */
export function readEnv(name: string): string | undefined {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
      ?.env;
    const value = env?.[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  } catch {
    // Deno without --allow-env throws on access: behave as if unset.
    return undefined;
  }
}

const DEFAULT_METRICS: Required<MetricsOptions> = {
  duration: true,
  activeRequests: true,
  requestBodySize: false,
  responseBodySize: false,
};

/** Applies defaults and environment variables to the options. Called once per middleware. */
export function resolveConfig(options: OtelHttpOptions): ResolvedConfig {
  const metrics =
    options.metrics === false
      ? { duration: false, activeRequests: false, requestBodySize: false, responseBodySize: false }
      : options.metrics === true || options.metrics === undefined
        ? DEFAULT_METRICS
        : { ...DEFAULT_METRICS, ...options.metrics };

  const redactions =
    typeof options.redactQueryParams === 'function'
      ? options.redactQueryParams(DEFAULT_REDACTED_QUERY_PARAMS)
      : [...DEFAULT_REDACTED_QUERY_PARAMS, ...(options.redactQueryParams ?? [])];

  return Object.freeze({
    tracing: options.tracing !== false,
    metrics: Object.freeze({ ...metrics }),
    recordException: options.recordException !== false,
    exceptionSignal: exceptionSignalOption(options.exceptionSignal),
    exceptionLimits: Object.freeze({
      messageLength: limitOption(
        options.exceptionLimits?.messageLength,
        'exceptionLimits.messageLength',
        DEFAULT_EXCEPTION_LIMITS.messageLength,
      ),
      stacktraceLength: limitOption(
        options.exceptionLimits?.stacktraceLength,
        'exceptionLimits.stacktraceLength',
        DEFAULT_EXCEPTION_LIMITS.stacktraceLength,
      ),
    }),
    knownMethods: new Set(options.knownMethods ?? knownMethodsFromEnv() ?? DEFAULT_KNOWN_METHODS),
    emitOldSemconv: (options.semconvStability ?? semconvStabilityFromEnv()) === 'dup',
    trustProxy: options.trustProxy === true,
    traceResponseHeader: options.traceResponseHeader ?? false,
    captureRequestHeaders: lowerCaseList(options.captureRequestHeaders),
    captureResponseHeaders: lowerCaseList(options.captureResponseHeaders),
    sensitiveHeaders: new Set([
      ...ALWAYS_REDACTED_HEADERS,
      ...lowerCaseList(options.sensitiveHeaders),
    ]),
    redactQueryParams: new Set(redactions),
    baggageToAttributes: baggageKeys(options.baggageToAttributes),
  });
}

/** The `baggageToAttributes` keys: non-empty strings, each once, as given (keys are case-sensitive). */
function baggageKeys(keys: unknown): readonly string[] {
  if (keys === undefined) return Object.freeze([]);
  if (!Array.isArray(keys)) {
    logger.warn('baggageToAttributes must be an array of baggage keys; no baggage is recorded');
    return Object.freeze([]);
  }
  const valid = keys.filter((key): key is string => typeof key === 'string' && key.length > 0);
  if (valid.length !== keys.length) {
    logger.warn('baggageToAttributes: entries that are not non-empty strings are ignored');
  }
  return Object.freeze([...new Set(valid)]);
}

const EXCEPTION_SIGNALS: ReadonlySet<unknown> = new Set(['span', 'logs', 'logs/dup']);

function exceptionSignalOption(value: unknown): ResolvedConfig['exceptionSignal'] {
  const fromEnv = () => exceptionSignalOf(readEnv('OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN'));
  if (value === undefined) return fromEnv();
  if (EXCEPTION_SIGNALS.has(value)) return value as ResolvedConfig['exceptionSignal'];
  logger.warn(`exceptionSignal must be 'span', 'logs' or 'logs/dup'; using the environment's`);
  return fromEnv();
}

function limitOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (
    typeof value === 'number' &&
    (Number.isSafeInteger(value) || value === Number.POSITIVE_INFINITY) &&
    value >= 0
  )
    return value;
  logger.warn(`${name} must be a whole number of at least 0; using ${fallback}`);
  return fallback;
}

function lowerCaseList(names: readonly string[] | undefined): string[] {
  if (!names) return [];
  return [...new Set(names.map((name) => name.trim().toLowerCase()).filter(Boolean))];
}

function knownMethodsFromEnv(): string[] | undefined {
  const value = readEnv('OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS');
  if (value === undefined) return undefined;
  const methods = value
    .split(',')
    .map((method) => method.trim())
    .filter(Boolean);
  if (methods.length === 0) {
    logger.warn(
      `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS=${JSON.stringify(value)} names no method; using the default list`,
    );
    return undefined;
  }
  return methods;
}

/** `OTEL_SEMCONV_STABILITY_OPT_IN` is a comma-separated list; `http/dup` wins over `http`. */
function semconvStabilityFromEnv(): 'stable' | 'dup' {
  const value = readEnv('OTEL_SEMCONV_STABILITY_OPT_IN');
  if (value === undefined) return 'stable';
  const entries = value.split(',').map((entry) => entry.trim().toLowerCase());
  return entries.includes('http/dup') ? 'dup' : 'stable';
}

/** Longest span name or route taken from an override; longer results are cut. */
export const MAX_OVERRIDE_LENGTH = 256;

/**
 * The route (or span name) an override chose, when it is usable: a non-empty string, cut to
 * {@link MAX_OVERRIDE_LENGTH} characters (it becomes a span name and a metric label). Anything
 * else — `undefined`, a number, an empty string — keeps `fallback`. Adapters with overrides of
 * their own (Hono's `routeFromContext`) apply the same rule through this.
 */
export function overrideOr<T extends string | undefined>(chosen: unknown, fallback: T): string | T {
  if (typeof chosen !== 'string' || chosen.length === 0) return fallback;
  return chosen.length > MAX_OVERRIDE_LENGTH ? chosen.slice(0, MAX_OVERRIDE_LENGTH) : chosen;
}

/**
 * Everything of the options that is not plain configuration — providers, the propagator and the
 * user's functions — resolved once per middleware into ready functions that never throw: a
 * request handle is built from these and never looks at the options again.
 */
export interface RequestRules {
  readonly config: ResolvedConfig;
  readonly tracerProvider: TracerProvider | undefined;
  readonly meterProvider: MeterProvider | undefined;
  readonly propagator: TextMapPropagator | undefined;
  /** `undefined` when nothing is ignored. */
  readonly isIgnored: ((info: RequestInfo) => boolean) | undefined;
  /** `undefined` when every caller is trusted. */
  readonly trusts: ((info: RequestInfo) => boolean) | undefined;
  /** The route at the end of the request: the override's choice or the matched one. */
  readonly routeOf:
    | ((info: RequestInfo, matched: string | undefined) => string | undefined)
    | undefined;
  /** The span name: the override's choice or `fallback`. */
  readonly spanNameOf:
    | ((info: RequestInfo, route: string | undefined, fallback: string) => string)
    | undefined;
  readonly requestHook: ((span: Span, info: RequestInfo) => void) | undefined;
  readonly responseHook:
    | ((span: Span, info: RequestInfo, outcome: RequestOutcome) => void)
    | undefined;
  /** Records a failed request's error as the configured signal says; `undefined`: not at all. */
  readonly recordException: ((span: Span, error: unknown) => void) | undefined;
  /** `user_agent.synthetic.type` of a request; `undefined` when the option is off. */
  readonly syntheticTypeOf: ((info: RequestInfo) => string | undefined) | undefined;
}

/** Resolves the options of one middleware into its {@link RequestRules}. */
export function resolveRules(options: OtelHttpOptions): RequestRules {
  const { route, spanName, requestHook, responseHook } = options;
  const config = resolveConfig(options);
  return Object.freeze({
    config,
    tracerProvider: options.tracerProvider,
    meterProvider: options.meterProvider,
    propagator: options.propagator,
    isIgnored: compileIgnore(options.ignore),
    trusts: compileTrust(options.trustRemoteContext),
    routeOf:
      route === undefined
        ? undefined
        : (info: RequestInfo, matched: string | undefined) =>
            overrideOr(
              callSafely('the route option', () => route(info, matched), undefined),
              matched,
            ),
    spanNameOf:
      spanName === undefined
        ? undefined
        : (info: RequestInfo, routeTemplate: string | undefined, fallback: string) =>
            overrideOr(
              callSafely('the spanName option', () => spanName(info, routeTemplate), fallback),
              fallback,
            ),
    requestHook:
      requestHook === undefined
        ? undefined
        : (span: Span, info: RequestInfo) => {
            callSafely('requestHook', () => requestHook(span, info), undefined);
          },
    responseHook:
      responseHook === undefined
        ? undefined
        : (span: Span, info: RequestInfo, outcome: RequestOutcome) => {
            callSafely('responseHook', () => responseHook(span, info, outcome), undefined);
          },
    recordException: config.recordException
      ? createExceptionRecorder({
          signal: config.exceptionSignal,
          limits: config.exceptionLimits,
          side: 'server',
          loggerProvider: options.loggerProvider,
        })
      : undefined,
    syntheticTypeOf: compileSyntheticType(options.syntheticType),
  });
}

/**
 * `true`: the built-in classifier; a function: the user's, contained, its answer kept only when a
 * non-empty string and cut to {@link MAX_SYNTHETIC_TYPE_LENGTH} characters (it is a metric label).
 */
function compileSyntheticType(
  option: OtelHttpOptions['syntheticType'],
): ((info: RequestInfo) => string | undefined) | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return syntheticTypeOf;
  return (info) => {
    const type: unknown = callSafely('the syntheticType option', () => option(info), undefined);
    if (typeof type !== 'string' || type.length === 0) return undefined;
    return type.length > MAX_SYNTHETIC_TYPE_LENGTH
      ? type.slice(0, MAX_SYNTHETIC_TYPE_LENGTH)
      : type;
  };
}

/**
 * Turns the `ignore` option into one contained predicate (or none). Only a synchronous `true`
 * ignores: a promise (an async predicate) would otherwise ignore everything; the first answer
 * that is not a boolean is reported once.
 */
function compileIgnore(
  ignore: OtelHttpOptions['ignore'],
): ((info: RequestInfo) => boolean) | undefined {
  if (ignore === undefined) return undefined;
  if (typeof ignore === 'function') {
    let warned = false;
    return (info) => {
      const verdict: unknown = callSafely('the ignore option', () => ignore(info), false);
      if (typeof verdict === 'boolean') return verdict;
      if (!warned) {
        warned = true;
        logger.warn(
          `the ignore option returned ${verdict === null ? 'null' : typeof verdict}, not a boolean: ` +
            'requests are recorded. It must return true or false synchronously.',
        );
      }
      return false;
    };
  }
  const rules = (Array.isArray(ignore) ? ignore : [ignore]) as ReadonlyArray<string | RegExp>;
  const exact = new Set(rules.filter((rule): rule is string => typeof rule === 'string'));
  // A global or sticky expression keeps state between test() calls: use a stateless copy.
  const patterns = rules
    .filter((rule): rule is RegExp => rule instanceof RegExp)
    .map((rule) => new RegExp(rule.source, rule.flags.replace(/[gy]/g, '')));
  if (exact.size === 0 && patterns.length === 0) return undefined;
  return (info) => exact.has(info.path) || patterns.some((pattern) => pattern.test(info.path));
}

function compileTrust(
  trust: OtelHttpOptions['trustRemoteContext'],
): ((info: RequestInfo) => boolean) | undefined {
  if (trust === undefined || trust === true) return undefined;
  if (trust === false) return () => false;
  return (info) =>
    callSafely('the trustRemoteContext predicate', () => trust(info), false) === true;
}
