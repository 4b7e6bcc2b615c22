import { type SpanContext, trace } from '@opentelemetry/api';

/**
 * The trace response header for a span: `traceparent: 00-<trace-id>-<span-id>-<flags>`, or the
 * W3C Trace Context Level 3 draft's `server-timing: trace;desc=00-...`. `undefined` for an invalid
 * span context (nothing to point at).
 */
export function traceResponseHeader(
  kind: 'traceparent' | 'server-timing',
  spanContext: SpanContext,
): readonly [string, string] | undefined {
  if (!trace.isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  return kind === 'traceparent'
    ? ['traceparent', traceparent]
    : ['server-timing', `trace;desc=${traceparent}`];
}
