import { logger } from './diag.js';
import { DEFAULT_EXCEPTION_LIMITS } from './errors.js';
import {
  ALWAYS_REDACTED_HEADERS,
  DEFAULT_KNOWN_METHODS,
  DEFAULT_REDACTED_QUERY_PARAMS,
} from './semconv.js';
import type { MetricsOptions, OtelHttpOptions, ResolvedConfig } from './types.js';

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
  });
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
