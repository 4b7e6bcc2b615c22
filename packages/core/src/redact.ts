import { REDACTED } from './semconv.js';

/**
 * Replaces the values of the listed query parameters by `REDACTED`, keeping their keys and the
 * order of everything else: `sig=abc&x=1` → `sig=REDACTED&x=1`. Keys match case-sensitively, also
 * when percent-encoded in the query (`%73ig`). Returns the input itself when nothing matched.
 */
export function redactQuery(query: string, keys: ReadonlySet<string>): string {
  if (keys.size === 0 || query.length === 0) return query;
  let out: string | undefined;
  let start = 0;
  // The next `=` at or after `start`, found once and reused while later pairs have none of
  // their own: searching from every pair to the end would be quadratic in the number of pairs.
  let eq = -2;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    if (eq !== -1 && eq < start) eq = query.indexOf('=', start);
    const keyEnd = eq === -1 || eq > end ? end : eq;
    if (keyEnd < end && keys.has(decodeKey(query.slice(start, keyEnd)))) {
      out ??= query.slice(0, start);
      out += `${query.slice(start, keyEnd + 1)}${REDACTED}`;
    } else if (out !== undefined) {
      out += query.slice(start, end);
    }
    if (end === query.length) break;
    if (out !== undefined) out += '&';
    start = end + 1;
  }
  return out ?? query;
}

function decodeKey(key: string): string {
  if (key.indexOf('%') === -1 && key.indexOf('+') === -1) return key;
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

/**
 * The value of a captured header as the conventions want it (`string[]`), or `['REDACTED']` for a
 * sensitive header. `undefined` when the header is absent.
 */
export function headerAttributeValue(
  value: string | string[] | number | undefined,
  redacted: boolean,
): string[] | undefined {
  if (value === undefined) return undefined;
  if (redacted) return [REDACTED];
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}
