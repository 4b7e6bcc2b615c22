/**
 * Bounds the `baggage` header before a propagator parses it. The SDK's W3C baggage parser tries
 * every list-member until it has accepted 180, and a member with broken percent-encoding costs a
 * thrown `URIError` without counting toward that limit: 14 KB of such members cost tens of
 * milliseconds per request. Here, at most {@link MAX_BAGGAGE_READ} characters and
 * {@link MAX_BAGGAGE_MEMBERS} members are read, and members whose percent-encoding cannot decode
 * are dropped — the parser drops them too, so a valid header reaches it unchanged.
 */

import type { Attributes, Baggage } from '@opentelemetry/api';

/** Characters of the header read: the W3C Baggage limit for a whole `baggage` header. */
export const MAX_BAGGAGE_READ = 8192;
/** List-members read, valid or not: the SDK's limit on the entries it keeps. */
export const MAX_BAGGAGE_MEMBERS = 180;

/**
 * The `baggage` header as a propagator may parse it: repeated lines joined with `,`, cut after the
 * last whole member within {@link MAX_BAGGAGE_READ} characters and {@link MAX_BAGGAGE_MEMBERS}
 * members, and without members that cannot be percent-decoded. Returns the input itself when
 * nothing had to change (the common case costs one scan), `undefined` when nothing is left.
 */
export function boundedBaggage(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.join(',');
  // The members kept, once one was dropped; until then the kept text is a prefix of `text`.
  let kept: string[] | undefined;
  let members = 0;
  let start = 0;
  let stop = text.length;
  while (start < text.length) {
    let end = text.indexOf(',', start);
    if (end === -1) end = text.length;
    if (members === MAX_BAGGAGE_MEMBERS || end > MAX_BAGGAGE_READ) {
      stop = start;
      break;
    }
    members++;
    if (decodable(text, start, end)) kept?.push(text.slice(start, end));
    else kept ??= start === 0 ? [] : [text.slice(0, start - 1)];
    start = end + 1;
  }
  const result =
    kept !== undefined
      ? kept.join(',')
      : stop === text.length
        ? text
        : text.slice(0, Math.max(0, stop - 1));
  return result.length > 0 ? result : undefined;
}

/**
 * Whether `decodeURIComponent` can decode `text[start, end)`: every `%` starts two hex digits,
 * and escaped bytes form UTF-8 sequences (lead byte, then the continuation bytes it announces).
 * Overlong forms and surrogates are left for the parser to refuse; they cost it one throw each,
 * within the member limit.
 */
function decodable(text: string, start: number, end: number): boolean {
  let i = text.indexOf('%', start);
  while (i !== -1 && i < end) {
    const byte = escapedByte(text, i, end);
    if (byte < 0) return false;
    let continuation = continuationBytesAfter(byte);
    if (continuation < 0) return false;
    i += 3;
    while (continuation > 0) {
      const next = escapedByte(text, i, end);
      if (next < 0x80 || next > 0xbf) return false;
      i += 3;
      continuation--;
    }
    i = text.indexOf('%', i);
  }
  return true;
}

/** How many continuation bytes a UTF-8 sequence starting with `byte` has; -1 if it cannot start one. */
function continuationBytesAfter(byte: number): number {
  if (byte < 0x80) return 0;
  if (byte >= 0xc2 && byte <= 0xdf) return 1;
  if (byte >= 0xe0 && byte <= 0xef) return 2;
  if (byte >= 0xf0 && byte <= 0xf4) return 3;
  return -1;
}

/** The byte `%XX` at `at` encodes, or -1 when there is no valid escape there. */
function escapedByte(text: string, at: number, end: number): number {
  if (at + 2 >= end || text.charCodeAt(at) !== 37 /* % */) return -1;
  const high = hexValue(text.charCodeAt(at + 1));
  const low = hexValue(text.charCodeAt(at + 2));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

/** The value of one hex digit's character code, or -1. */
export function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Longest value a baggage entry gives a span attribute (`baggageToAttributes`); the rest is cut. */
export const MAX_BAGGAGE_ATTRIBUTE_LENGTH = 256;

/**
 * Adds the entries of `baggage` named by `keys` to `attributes`, each under its key: non-empty
 * string values only, cut to {@link MAX_BAGGAGE_ATTRIBUTE_LENGTH} characters. An attribute the
 * instrumentation already set (`url.path`, …) is kept.
 */
export function addBaggageAttributes(
  attributes: Attributes,
  baggage: Baggage | undefined,
  keys: readonly string[],
): void {
  if (baggage === undefined) return;
  for (const key of keys) {
    const value: unknown = baggage.getEntry(key)?.value;
    if (typeof value !== 'string' || value.length === 0 || attributes[key] !== undefined) continue;
    attributes[key] =
      value.length > MAX_BAGGAGE_ATTRIBUTE_LENGTH
        ? value.slice(0, MAX_BAGGAGE_ATTRIBUTE_LENGTH)
        : value;
  }
}
