/**
 * A W3C Trace Context propagator that follows the specification's rules where
 * `@opentelemetry/core`'s `W3CTraceContextPropagator` is lenient or out of date:
 *
 * - `traceparent`: lowercase hex only, surrounding spaces and tabs ignored, a repeated header is
 *   invalid, a higher version is read by its first four fields only when the fifth starts with `-`.
 * - `tracestate`: the current key grammar (`a-z` or a digit first, then up to 255 of
 *   `a-z 0-9 _ - * / @`), values of up to 256 printable characters without `,` or `=`, empty
 *   members and whitespace around members ignored, headers split across several field lines read
 *   as one list. A header that cannot be parsed (an invalid member, or more than 32 members) is
 *   discarded whole; a duplicated key keeps its first value. Beyond 512 characters, members longer
 *   than 128 characters are dropped first, then members from the end.
 * - trace flags: only the sampled and random bits are read and sent. The random bit (Level 2) is
 *   carried on to outgoing requests of the same trace even though the SDK's tracer, which knows
 *   only the sampled bit, does not keep it in the spans it starts.
 *
 * It depends on `@opentelemetry/api` only, so it works with any SDK.
 */
import {
  type Context,
  createContextKey,
  isSpanContextValid,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type TraceState,
  trace,
} from '@opentelemetry/api';

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

/** At most this many `tracestate` list-members (W3C Trace Context). */
export const TRACESTATE_MAX_MEMBERS = 32;
/** The combined `tracestate` is truncated to this many characters, whole members at a time. */
export const TRACESTATE_MAX_LENGTH = 512;
/** Members longer than this are the first dropped when truncating. */
export const TRACESTATE_LONG_MEMBER = 128;

const FLAG_SAMPLED = 0x01;
const FLAG_RANDOM = 0x02;
/** The trace-flags this version of the specification defines; others are read and sent as 0. */
const KNOWN_FLAGS = FLAG_SAMPLED | FLAG_RANDOM;

/** The trace id whose caller set the random flag, kept in the context for outgoing requests. */
const RANDOM_TRACE_ID_KEY = createContextKey('@otel-http/core random trace id');
/** `@opentelemetry/core`'s suppress-tracing key (context keys are `Symbol.for(description)`). */
const SUPPRESS_TRACING_KEY = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** A `traceparent` as a receiver may use it. */
export interface ParsedTraceparent {
  readonly traceId: string;
  readonly spanId: string;
  /** Only the sampled and random bits. */
  readonly traceFlags: number;
}

/**
 * Parses a `traceparent` by the W3C rules; `undefined` when the receiver must restart the trace.
 * Several values (the header sent more than once) are invalid.
 */
export function parseTraceparent(
  header: string | readonly string[] | undefined,
): ParsedTraceparent | undefined {
  const raw = typeof header === 'string' ? header : header?.length === 1 ? header[0] : undefined;
  if (raw === undefined) return undefined;
  const value = trimOws(raw);
  // version "-" trace-id "-" parent-id "-" flags: 55 characters for every version.
  if (value.length < 55) return undefined;
  if (!isLowerHex(value, 0, 2) || value.charCodeAt(2) !== 45 /* - */) return undefined;
  const version = value.slice(0, 2);
  if (version === 'ff') return undefined;
  if (version === '00' ? value.length !== 55 : value.length > 55 && value.charCodeAt(55) !== 45)
    return undefined;
  if (!isLowerHex(value, 3, 35) || value.charCodeAt(35) !== 45) return undefined;
  if (!isLowerHex(value, 36, 52) || value.charCodeAt(52) !== 45) return undefined;
  if (!isLowerHex(value, 53, 55)) return undefined;
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  const traceFlags = Number.parseInt(value.slice(53, 55), 16) & KNOWN_FLAGS;
  return { traceId, spanId, traceFlags };
}

/**
 * An immutable `tracestate`, members in header order (left first). `set` moves or adds a member to
 * the left, as the specification asks of a vendor mutating it.
 */
export class W3CTraceState implements TraceState {
  /** `[key, value]` pairs, left first, keys unique. */
  private readonly members: ReadonlyArray<readonly [string, string]>;

  constructor(members: ReadonlyArray<readonly [string, string]> = []) {
    this.members = members;
  }

  get(key: string): string | undefined {
    for (const [k, v] of this.members) if (k === key) return v;
    return undefined;
  }

  set(key: string, value: string): W3CTraceState {
    if (!isTraceStateKey(key, 0, key.length) || !isTraceStateValue(value, 0, value.length))
      return this;
    const rest = this.members.filter(([k]) => k !== key);
    // A new member beyond the 32nd pushes out the right-most one.
    if (rest.length >= TRACESTATE_MAX_MEMBERS) rest.length = TRACESTATE_MAX_MEMBERS - 1;
    const first: readonly [string, string] = [key, value];
    return new W3CTraceState([
      first,
      ...truncated(rest, TRACESTATE_MAX_LENGTH - memberLength(first) - 1),
    ]);
  }

  unset(key: string): W3CTraceState {
    const rest = this.members.filter(([k]) => k !== key);
    return rest.length === this.members.length ? this : new W3CTraceState(rest);
  }

  /** Computed once: a state is serialized for every outgoing request. */
  private serialized: string | undefined;

  serialize(): string {
    if (this.serialized !== undefined) return this.serialized;
    let text = '';
    for (const [k, v] of this.members) text += text === '' ? `${k}=${v}` : `,${k}=${v}`;
    this.serialized = text;
    return text;
  }

  /** How many members there are. */
  get size(): number {
    return this.members.length;
  }
}

/**
 * Parses `tracestate` (several field lines are one list, in order). `undefined` when there is
 * nothing to keep: no header, only empty members, or a header that cannot be parsed, which is
 * discarded whole.
 */
export function parseTraceState(
  header: string | readonly string[] | undefined,
): W3CTraceState | undefined {
  if (header === undefined) return undefined;
  const text = typeof header === 'string' ? header : header.join(',');
  const members: Array<readonly [string, string]> = [];
  let count = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf(',', start);
    if (end === -1) end = text.length;
    // Spaces and tabs around a member are not part of it; an empty member is allowed.
    let from = start;
    let to = end;
    while (from < to && isOws(text.charCodeAt(from))) from++;
    while (to > from && isOws(text.charCodeAt(to - 1))) to--;
    if (from < to) {
      if (++count > TRACESTATE_MAX_MEMBERS) return undefined;
      const eq = text.indexOf('=', from);
      if (eq === -1 || eq >= to) return undefined;
      if (!isTraceStateKey(text, from, eq) || !isTraceStateValue(text, eq + 1, to))
        return undefined;
      const key = text.slice(from, eq);
      if (!members.some(([k]) => k === key)) members.push([key, text.slice(eq + 1, to)]);
    }
    start = end + 1;
  }
  if (members.length === 0) return undefined;
  return new W3CTraceState(truncated(members, TRACESTATE_MAX_LENGTH));
}

/** The W3C Trace Context propagator (`traceparent`, `tracestate`) with the rules above. */
export class StrictW3CTraceContextPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (spanContext === undefined || !isSpanContextValid(spanContext)) return;
    if (context.getValue(SUPPRESS_TRACING_KEY) === true) return;
    let flags = spanContext.traceFlags & KNOWN_FLAGS;
    if (context.getValue(RANDOM_TRACE_ID_KEY) === spanContext.traceId) flags |= FLAG_RANDOM;
    setter.set(
      carrier,
      TRACEPARENT_HEADER,
      `00-${spanContext.traceId}-${spanContext.spanId}-0${flags.toString(16)}`,
    );
    const traceState = spanContext.traceState?.serialize();
    if (traceState) setter.set(carrier, TRACESTATE_HEADER, traceState);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const parent = parseTraceparent(getter.get(carrier, TRACEPARENT_HEADER));
    if (parent === undefined) return context;
    const spanContext: SpanContext = {
      traceId: parent.traceId,
      spanId: parent.spanId,
      traceFlags: parent.traceFlags,
      isRemote: true,
    };
    const traceState = parseTraceState(getter.get(carrier, TRACESTATE_HEADER));
    if (traceState !== undefined) spanContext.traceState = traceState;
    const extracted = trace.setSpanContext(context, spanContext);
    return parent.traceFlags & FLAG_RANDOM
      ? extracted.setValue(RANDOM_TRACE_ID_KEY, parent.traceId)
      : extracted;
  }

  fields(): string[] {
    return [TRACEPARENT_HEADER, TRACESTATE_HEADER];
  }
}

const memberLength = ([k, v]: readonly [string, string]) => k.length + 1 + v.length;

/**
 * `members` cut to at most `limit` serialized characters, whole members only: members longer than
 * {@link TRACESTATE_LONG_MEMBER} go first (right-most first), then members from the end.
 */
function truncated<T extends readonly [string, string]>(members: T[], limit: number): T[] {
  let length = members.reduce((sum, m) => sum + memberLength(m), Math.max(0, members.length - 1));
  if (length <= limit) return members;
  const kept = [...members];
  for (let i = kept.length - 1; i >= 0 && length > limit; i--) {
    const size = memberLength(kept[i] as T);
    if (size <= TRACESTATE_LONG_MEMBER) continue;
    kept.splice(i, 1);
    length -= size + (kept.length > 0 ? 1 : 0);
  }
  while (length > limit && kept.length > 0) {
    const last = kept.pop() as T;
    length -= memberLength(last) + (kept.length > 0 ? 1 : 0);
  }
  return kept;
}

const isOws = (c: number) => c === 32 || c === 9;

function trimOws(text: string): string {
  let from = 0;
  let to = text.length;
  while (from < to && isOws(text.charCodeAt(from))) from++;
  while (to > from && isOws(text.charCodeAt(to - 1))) to--;
  return from === 0 && to === text.length ? text : text.slice(from, to);
}

function isLowerHex(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** key = ( lcalpha / DIGIT ) 0*255 ( lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" ) */
function isTraceStateKey(text: string, from: number, to: number): boolean {
  if (to <= from || to - from > 256) return false;
  const first = text.charCodeAt(from);
  if (!((first >= 97 && first <= 122) || (first >= 48 && first <= 57))) return false;
  for (let i = from + 1; i < to; i++) {
    const c = text.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 95 /* _ */ ||
      c === 45 /* - */ ||
      c === 42 /* * */ ||
      c === 47 /* / */ ||
      c === 64; /* @ */
    if (!ok) return false;
  }
  return true;
}

/** value = 0*255( %x20 / nblk-chr ) nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E */
function isTraceStateValue(text: string, from: number, to: number): boolean {
  if (to <= from || to - from > 256) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x2c || c === 0x3d) return false;
  }
  return text.charCodeAt(to - 1) !== 0x20;
}
