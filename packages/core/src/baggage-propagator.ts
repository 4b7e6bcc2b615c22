/**
 * A W3C Baggage propagator that follows the specification's grammar and limits:
 *
 * - `key OWS "=" OWS value *( OWS ";" OWS property )`, keys are RFC 7230 tokens, values are
 *   baggage-octets (printable ASCII without space, `"`, `,`, `;` and `\`), an empty value is a
 *   value; properties are `key` or `key=value`, kept as the entry's metadata.
 * - Values are percent-decoded as UTF-8; bytes that are not UTF-8 become U+FFFD. A `%` that does
 *   not start an escape stays as it is.
 * - A member that does not follow the grammar is dropped, the others are kept; a duplicated key
 *   keeps its first value. Several `baggage` lines are one list.
 * - Limits: {@link MAX_BAGGAGE_MEMBERS} members and {@link MAX_BAGGAGE_READ} bytes, for the
 *   header read and the header sent (the specification's minimum is 64 members and 8192 bytes);
 *   whole members only.
 *
 * It depends on `@opentelemetry/api` only, so it works with any SDK.
 */
import {
  type Baggage,
  type BaggageEntry,
  baggageEntryMetadataFromString,
  type Context,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { hexValue, MAX_BAGGAGE_MEMBERS, MAX_BAGGAGE_READ } from './baggage.js';

export const BAGGAGE_HEADER = 'baggage';

/** SDK context key that stops propagation (context keys are `Symbol.for(description)`). */
const SUPPRESS_TRACING_KEY = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** A baggage entry as read from the header: the decoded value and the properties, if any. */
export interface ParsedBaggageMember {
  readonly key: string;
  readonly value: string;
  /** The properties after the value, `;`-separated, whitespace around them removed. */
  readonly properties?: string;
}

/**
 * Parses `baggage` (several field lines are one list, in order): the valid members, within the
 * limits, duplicates after the first dropped.
 */
export function parseBaggage(
  header: string | readonly string[] | undefined,
): ParsedBaggageMember[] {
  if (header === undefined) return [];
  const text = typeof header === 'string' ? header : header.join(',');
  const members: ParsedBaggageMember[] = [];
  const seen = new Set<string>();
  let start = 0;
  while (start < text.length && members.length < MAX_BAGGAGE_MEMBERS) {
    let end = text.indexOf(',', start);
    if (end === -1) end = text.length;
    // Beyond the limit a member is not read at all: no partial members.
    if (end > MAX_BAGGAGE_READ) break;
    const member = parseMember(text, start, end);
    if (member !== undefined && !seen.has(member.key)) {
      seen.add(member.key);
      members.push(member);
    }
    start = end + 1;
  }
  return members;
}

/** The `baggage` header for `baggage`'s entries, within the limits; `undefined` when empty. */
export function serializeBaggage(baggage: Baggage): string | undefined {
  let text = '';
  let count = 0;
  for (const [key, entry] of baggage.getAllEntries()) {
    if (count === MAX_BAGGAGE_MEMBERS) break;
    const member = serializeMember(key, entry);
    if (member === undefined) continue;
    const length = text === '' ? member.length : text.length + 1 + member.length;
    // A member that does not fit is left out whole; a smaller one after it may still fit.
    if (length > MAX_BAGGAGE_READ) continue;
    text = text === '' ? member : `${text},${member}`;
    count++;
  }
  return text === '' ? undefined : text;
}

/** The W3C Baggage propagator with the rules above. */
export class StrictW3CBaggagePropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const baggage = propagation.getBaggage(context);
    if (baggage === undefined || context.getValue(SUPPRESS_TRACING_KEY) === true) return;
    const header = serializeBaggage(baggage);
    if (header !== undefined) setter.set(carrier, BAGGAGE_HEADER, header);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const members = parseBaggage(getter.get(carrier, BAGGAGE_HEADER));
    if (members.length === 0) return context;
    const entries: Record<string, BaggageEntry> = {};
    for (const { key, value, properties } of members) {
      entries[key] =
        properties === undefined
          ? { value }
          : { value, metadata: baggageEntryMetadataFromString(properties) };
    }
    return propagation.setBaggage(context, propagation.createBaggage(entries));
  }

  fields(): string[] {
    return [BAGGAGE_HEADER];
  }
}

function parseMember(text: string, start: number, end: number): ParsedBaggageMember | undefined {
  const semicolon = text.indexOf(';', start);
  const valueEnd = semicolon === -1 || semicolon > end ? end : semicolon;
  const eq = text.indexOf('=', start);
  if (eq === -1 || eq >= valueEnd) return undefined;
  const key = trimmed(text, start, eq);
  const raw = trimmed(text, eq + 1, valueEnd);
  if (!isToken(key) || !isBaggageValue(raw)) return undefined;
  if (valueEnd === end) return { key, value: decodeBaggageValue(raw) };
  const properties = parseProperties(text.slice(valueEnd + 1, end));
  return properties === undefined ? undefined : { key, value: decodeBaggageValue(raw), properties };
}

/** `property *( ";" property )` with whitespace around each part removed; `undefined` if invalid. */
function parseProperties(text: string): string | undefined {
  const parts: string[] = [];
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) {
      const key = trimmed(part, 0, part.length);
      if (!isToken(key)) return undefined;
      parts.push(key);
    } else {
      const key = trimmed(part, 0, eq);
      const value = trimmed(part, eq + 1, part.length);
      if (!isToken(key) || !isBaggageValue(value)) return undefined;
      parts.push(`${key}=${value}`);
    }
  }
  return parts.join(';');
}

function serializeMember(key: string, entry: BaggageEntry): string | undefined {
  if (!isToken(key) || typeof entry.value !== 'string') return undefined;
  let member = `${key}=${encodeBaggageValue(entry.value)}`;
  const metadata = entry.metadata?.toString();
  if (metadata) {
    const properties = parseProperties(metadata);
    if (properties !== undefined) member += `;${properties}`;
  }
  return member;
}

/** Percent-decodes a value: escapes are UTF-8, invalid sequences become U+FFFD. */
export function decodeBaggageValue(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    // The common case: valid escapes of UTF-8, which the built-in decoder handles fastest.
    return decodeURIComponent(raw);
  } catch {
    // Invalid UTF-8 or a `%` without two hex digits: decoded byte by byte below.
  }
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37 /* % */ && i + 2 < raw.length) {
      const high = hexValue(raw.charCodeAt(i + 1));
      const low = hexValue(raw.charCodeAt(i + 2));
      if (high >= 0 && low >= 0) {
        bytes.push(high * 16 + low);
        i += 2;
        continue;
      }
    }
    bytes.push(c);
  }
  return utf8Decoder.decode(Uint8Array.from(bytes));
}

const utf8Decoder = new TextDecoder('utf-8');

/** Percent-encodes everything outside the baggage-octets, and `%`; lone surrogates as U+FFFD. */
export function encodeBaggageValue(value: string): string {
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (isBaggageOctet(c) && c !== 37) continue;
    out += value.slice(plainFrom, i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += encodeURIComponent(value.slice(i, i + 2));
        i++;
        plainFrom = i + 1;
        continue;
      }
    }
    out += c >= 0xd800 && c <= 0xdfff ? '%EF%BF%BD' : encodeURIComponent(value[i] as string);
    plainFrom = i + 1;
  }
  return plainFrom === 0 ? value : out + value.slice(plainFrom);
}

function trimmed(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && isOws(text.charCodeAt(from))) from++;
  while (to > from && isOws(text.charCodeAt(to - 1))) to--;
  return text.slice(from, to);
}

const isOws = (c: number) => c === 32 || c === 9;

/** baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
function isBaggageOctet(c: number): boolean {
  return (
    c === 0x21 ||
    (c >= 0x23 && c <= 0x2b) ||
    (c >= 0x2d && c <= 0x3a) ||
    (c >= 0x3c && c <= 0x5b) ||
    (c >= 0x5d && c <= 0x7e)
  );
}

function isBaggageValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (!isBaggageOctet(value.charCodeAt(i))) return false;
  return true;
}

/** token = 1*tchar (RFC 7230): ALPHA, DIGIT and ! # $ % & ' * + - . ^ _ ` | ~ */
function isToken(key: string): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      "!#$%&'*+-.^_`|~".includes(key[i] as string);
    if (!ok) return false;
  }
  return true;
}
