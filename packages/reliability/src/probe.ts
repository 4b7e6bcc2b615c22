import { context, propagation, TraceFlags, trace } from '@opentelemetry/api';

/** What a handler saw of the telemetry context; the app routes answer it as JSON. */
export interface Probe {
  traceId: string | undefined;
  spanId: string | undefined;
  sampled: boolean;
  /** Whether the span active in the handler records (false when the sampler dropped it). */
  recording: boolean;
  /** The serialized `tracestate` the active span carries, if any. */
  traceState: string | undefined;
  baggage: Record<string, string>;
}

let fault: (() => unknown) | undefined;

/**
 * Makes every route handler that calls {@link probe} throw what `make` returns (a hostile value,
 * a huge error), until called again without it: how a scenario gets a handler to throw on every
 * target without routes of its own.
 */
export function throwFromHandlers(make?: () => unknown): void {
  fault = make;
}

/** Reads the active span and baggage. Call it synchronously inside a route handler. */
export function probe(): Probe {
  if (fault !== undefined) throw fault();
  const active = context.active();
  const span = trace.getSpan(active);
  const spanContext = span?.spanContext();
  const baggage: Record<string, string> = {};
  for (const [key, entry] of propagation.getBaggage(active)?.getAllEntries() ?? []) {
    baggage[key] = entry.value;
  }
  return {
    traceId: spanContext?.traceId,
    spanId: spanContext?.spanId,
    sampled: spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0,
    recording: span?.isRecording() ?? false,
    traceState: spanContext?.traceState?.serialize(),
    baggage,
  };
}
