/** The caller's ids the propagation checks send (a valid pair, from the W3C examples). */
export const CALLER = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
} as const;

/** A valid, sampled `traceparent` naming {@link CALLER}. */
export const VALID_TRACEPARENT = `00-${CALLER.traceId}-${CALLER.spanId}-01`;

/** One invalid `traceparent` value; `Buffer` values hold bytes that are not ASCII. */
export interface MalformedTraceparent {
  /** Stable label, part of the check id. */
  readonly label: string;
  readonly value: string | Buffer;
}

const { traceId, spanId } = CALLER;

/**
 * `traceparent` values a W3C Trace Context parser must reject: each must start a new trace while
 * the request itself succeeds.
 */
export const MALFORMED_TRACEPARENTS: readonly MalformedTraceparent[] = [
  { label: 'version-ff', value: `ff-${traceId}-${spanId}-01` },
  { label: 'version-not-hex', value: `0g-${traceId}-${spanId}-01` },
  { label: 'zero-trace-id', value: `00-${'0'.repeat(32)}-${spanId}-01` },
  { label: 'zero-parent-id', value: `00-${traceId}-${'0'.repeat(16)}-01` },
  { label: 'uppercase-trace-id', value: `00-${traceId.toUpperCase()}-${spanId}-01` },
  { label: 'uppercase-parent-id', value: `00-${traceId}-${spanId.toUpperCase()}-01` },
  { label: 'trace-id-too-short', value: `00-${traceId.slice(1)}-${spanId}-01` },
  { label: 'trace-id-too-long', value: `00-${traceId}a-${spanId}-01` },
  { label: 'parent-id-too-short', value: `00-${traceId}-${spanId.slice(1)}-01` },
  { label: 'parent-id-too-long', value: `00-${traceId}-${spanId}a-01` },
  { label: 'flags-too-short', value: `00-${traceId}-${spanId}-1` },
  { label: 'flags-not-hex', value: `00-${traceId}-${spanId}-zz` },
  { label: 'extra-field-version-00', value: `00-${traceId}-${spanId}-01-extra` },
  { label: 'missing-flags', value: `00-${traceId}-${spanId}` },
  { label: 'wrong-delimiter', value: `00_${traceId}_${spanId}_01` },
  { label: 'trace-id-not-hex', value: `00-${traceId.slice(0, 31)}x-${spanId}-01` },
  { label: 'garbage', value: 'not a traceparent at all' },
  { label: 'empty', value: '' },
  { label: 'non-ascii', value: Buffer.from(`00-${traceId.slice(0, 31)}é-${spanId}-01`, 'utf8') },
  { label: 'very-long', value: `00-${traceId.repeat(250)}-${spanId}-01` },
];
