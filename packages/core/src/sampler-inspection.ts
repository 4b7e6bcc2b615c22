/**
 * Whether a tracer's sampler decides without the span's attributes. The server span's start
 * attributes are then set only on a span that records: an unsampled request builds and checks
 * none of them (the SDK validates a span's start attributes before it asks the sampler, and again
 * for a recorded span).
 */
import type { Tracer } from '@opentelemetry/api';

/**
 * Set to `true` on a sampler (`sampler[SAMPLER_IGNORES_ATTRIBUTES] = true`) that never reads the
 * attributes it is given, so that otel-http sets the server span's start attributes only on a span
 * that records. `@otel-http/node`'s adjustable ratio sampler has it. A registered symbol: every
 * copy of `@otel-http/core` reads the same one.
 */
export const SAMPLER_IGNORES_ATTRIBUTES: unique symbol = Symbol.for(
  '@otel-http/sampler-ignores-attributes',
) as never;

/** The SDK's samplers that decide by trace id or parent alone, by class name. */
const ATTRIBUTE_BLIND = new Set([
  'AlwaysOnSampler',
  'AlwaysOffSampler',
  'TraceIdRatioBasedSampler',
]);
const PARENT_BASED_FIELDS = [
  '_root',
  '_remoteParentSampled',
  '_remoteParentNotSampled',
  '_localParentSampled',
  '_localParentNotSampled',
] as const;

function ignoresAttributes(sampler: unknown, depth = 0): boolean {
  if (typeof sampler !== 'object' || sampler === null || depth > 4) return false;
  if ((sampler as Record<symbol, unknown>)[SAMPLER_IGNORES_ATTRIBUTES] === true) return true;
  const name = (sampler as object).constructor?.name;
  if (name !== undefined && ATTRIBUTE_BLIND.has(name)) return true;
  if (name === 'ParentBasedSampler') {
    return PARENT_BASED_FIELDS.every((field) =>
      ignoresAttributes((sampler as Record<string, unknown>)[field], depth + 1),
    );
  }
  return false;
}

/**
 * `true` when `tracer` is the SDK's (or the API's no-op tracer) and its sampler is known to ignore
 * attributes; `false` when it is known not to or cannot be told (a tracer of another shape, a
 * sampler of the user's); `undefined` while a proxy tracer has no delegate yet (ask again later).
 */
export function samplerIgnoresAttributes(tracer: Tracer): boolean | undefined {
  let target: unknown = tracer;
  try {
    if ((target as object).constructor?.name === 'ProxyTracer') {
      target = (target as { _delegate?: unknown })._delegate;
      if (target === undefined) return undefined;
    }
    const name = (target as object).constructor?.name;
    if (name === 'NoopTracer') return true;
    if (name !== 'Tracer') return false;
    return ignoresAttributes((target as { _sampler?: unknown })._sampler);
  } catch {
    return false;
  }
}
