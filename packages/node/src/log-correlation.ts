import { type TraceFields, traceFields } from '@otel-http/core';

/**
 * A pino `mixin` that adds `trace_id`, `span_id` and `trace_flags` of the active span to every log
 * line written inside it (inside a request: the server span, or a child of it), and nothing
 * outside a span. Pino calls it for each line, so the ids are always those of the current request.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { pinoTraceMixin } from '@otel-http/node';
 * const log = pino({ mixin: pinoTraceMixin });
 * ```
 */
export function pinoTraceMixin(): TraceFields {
  return traceFields();
}

export { type TraceFields, traceFields };
