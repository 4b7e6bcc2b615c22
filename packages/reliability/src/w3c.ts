/**
 * The W3C Trace Context and Baggage rules the scenarios check, written from the specifications
 * (not from the propagators under test), and the limits `@opentelemetry/core` applies.
 */

/** At most this many `tracestate` list members (W3C Trace Context). */
export const TRACESTATE_MAX_MEMBERS = 32;
/** `@opentelemetry/core`'s TraceState keeps at most this many characters. */
export const TRACESTATE_MAX_LENGTH = 512;
/** `@opentelemetry/core`'s W3CBaggagePropagator extracts at most this many entries… */
export const BAGGAGE_MAX_ENTRIES = 180;
/** …of at most this many characters each (`key=value;properties`)… */
export const BAGGAGE_MAX_ENTRY_LENGTH = 4096;
/** …and at most this many characters in all (separators included). */
export const BAGGAGE_MAX_TOTAL_LENGTH = 8192;
/**
 * W3C Baggage: a platform must propagate every member while there are at most 64 members and
 * 8192 bytes; beyond that it may drop whole members (the SDK and core's strict propagator keep 180).
 */
export const BAGGAGE_MIN_MEMBERS_PROPAGATED = 64;

// key = ( lcalpha / DIGIT ) 0*255 ( lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" ), the current
// grammar; the older simple and multi-tenant (`tenant@system`, system id of 14) keys are within it.
const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
// chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E (no ',' and no '=')
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** Whether `member` (`key=value`) is a valid `tracestate` list member. */
export function isValidTraceStateMember(member: string): boolean {
  const eq = member.indexOf('=');
  return eq > 0 && KEY.test(member.slice(0, eq)) && VALUE.test(member.slice(eq + 1));
}

/** What is wrong with a serialized `tracestate` a server span carries; empty when nothing. */
export function traceStateViolations(serialized: string | undefined): string[] {
  if (serialized === undefined || serialized === '') return [];
  const problems: string[] = [];
  const members = serialized.split(',');
  if (members.length > TRACESTATE_MAX_MEMBERS) problems.push(`${members.length} members (> 32)`);
  if (serialized.length > TRACESTATE_MAX_LENGTH)
    problems.push(`${serialized.length} characters (> 512)`);
  const keys = new Set<string>();
  for (const member of members) {
    if (!isValidTraceStateMember(member))
      problems.push(`invalid member ${JSON.stringify(member.slice(0, 80))}`);
    const key = member.slice(0, member.indexOf('='));
    if (keys.has(key)) problems.push(`duplicate key ${key}`);
    keys.add(key);
  }
  return problems;
}

/** What is wrong with the baggage a handler received; empty when nothing. */
export function baggageViolations(baggage: Record<string, string>): string[] {
  const entries = Object.entries(baggage);
  const problems: string[] = [];
  if (entries.length > BAGGAGE_MAX_ENTRIES) problems.push(`${entries.length} entries (> 180)`);
  // Decoded entries are never longer than the raw ones the limits apply to.
  let total = 0;
  for (const [key, value] of entries) {
    const length = key.length + 1 + value.length;
    if (length > BAGGAGE_MAX_ENTRY_LENGTH)
      problems.push(`entry ${key.slice(0, 40)} has ${length} characters`);
    total += length;
  }
  total += Math.max(0, entries.length - 1);
  if (total > BAGGAGE_MAX_TOTAL_LENGTH) problems.push(`${total} characters in all (> 8192)`);
  return problems;
}

/** A parsed `traceparent`, by the W3C rules; `undefined` when a receiver must ignore it. */
export function parseTraceparent(
  value: string,
): { traceId: string; parentId: string; flags: number } | undefined {
  // Receivers see the value with surrounding optional whitespace removed by the HTTP layer.
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(value);
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, parentId, flags: Number.parseInt(flags, 16) };
}
