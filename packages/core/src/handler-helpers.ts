/**
 * Helpers for application code inside request handlers: the active span, a child span around a
 * piece of work (`withSpan`), and the trace fields a log line carries for correlation.
 */
import {
  type Attributes,
  context,
  type Span,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { errorType, exceptionOf } from './errors.js';
import { ATTR_ERROR_TYPE } from './semconv.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

/** The span active in the current context (inside a handler: the server span), if any. */
export function activeSpan(): Span | undefined {
  return trace.getSpan(context.active());
}

/** Options of {@link withSpan}. */
export interface WithSpanOptions extends SpanOptions {
  /** Tracer to start the span with. Default: the global provider's `@otel-http/core` tracer. */
  tracer?: Tracer;
  /** Attributes to set on the span. */
  attributes?: Attributes;
}

/**
 * Runs `fn` in a child span of the active one. The span is active inside `fn`, records an error
 * that `fn` throws or rejects with (status ERROR, `error.type`, exception event) before rethrowing
 * it unchanged, and always ends — also when `fn` is async.
 */
export function withSpan<T>(name: string, fn: (span: Span) => T, options: WithSpanOptions = {}): T {
  const { tracer: chosen, ...spanOptions } = options;
  const tracer = chosen ?? trace.getTracer(SCOPE_NAME, SCOPE_VERSION);
  const span = tracer.startSpan(name, spanOptions);
  const fail = (error: unknown) => {
    span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
    span.recordException(exceptionOf(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  let result: T;
  try {
    result = context.with(trace.setSpan(context.active(), span), fn, undefined, span);
  } catch (error) {
    fail(error);
    throw error;
  }
  if (isPromiseLike(result)) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        fail(error);
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Trace ids for a log line, as the OpenTelemetry log data model names them. */
export interface TraceFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

/**
 * `{ trace_id, span_id, trace_flags }` of the active span, to put on log lines so that logs and
 * traces join; an empty object outside a (valid) span.
 */
export function traceFields(): TraceFields {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0'),
  };
}
