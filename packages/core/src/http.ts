/**
 * Pure parsing of what arrives on the wire. Every function here accepts hostile input (any
 * string, any length) and returns `undefined` rather than throwing.
 */

/** Longest host name that DNS allows; a longer `Host` is not a host name and is not recorded. */
const MAX_HOST_LENGTH = 255;

/** Splits a request target (`/a/b?x=1`, or absolute-form `http://h/a?x`) into path and query. */
export function splitTarget(target: string): { path: string; query: string | undefined } {
  let start = 0;
  if (target.charCodeAt(0) !== 47 /* / */ && target !== '*') {
    // absolute-form (proxies): drop scheme and authority
    const schemeEnd = target.indexOf('://');
    if (schemeEnd !== -1) {
      const pathStart = target.indexOf('/', schemeEnd + 3);
      const queryStart = target.indexOf('?', schemeEnd + 3);
      if (pathStart === -1 || (queryStart !== -1 && queryStart < pathStart)) {
        return { path: '/', query: queryStart === -1 ? undefined : target.slice(queryStart + 1) };
      }
      start = pathStart;
    }
  }
  const hashAt = target.indexOf('#', start);
  const end = hashAt === -1 ? target.length : hashAt;
  const queryAt = target.indexOf('?', start);
  if (queryAt === -1 || queryAt > end) {
    const path = target.slice(start, end);
    return { path: path === '' ? '/' : path, query: undefined };
  }
  return { path: target.slice(start, queryAt) || '/', query: target.slice(queryAt + 1, end) };
}

/** The first value of a header that may be repeated. */
export function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value[0];
}

/** Parses a port: a whole number 1–65535 written in digits, or `undefined` (0 is no port). */
export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 5) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * Parses a `Host`-style value (`example.com`, `example.com:8080`, `[::1]:8080`) into address and
 * port. Anything that is not a plausible host gives `undefined`.
 */
export function parseHost(
  value: string | undefined,
): { address: string; port?: number } | undefined {
  if (value === undefined) return undefined;
  const host = value.trim();
  if (host.length === 0 || host.length > MAX_HOST_LENGTH + 7) return undefined;
  let address: string;
  let portText: string | undefined;
  let ipv6 = false;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    if (close === -1) return undefined;
    address = host.slice(1, close);
    ipv6 = true;
    const rest = host.slice(close + 1);
    if (rest.length > 0) {
      if (rest.charCodeAt(0) !== 58 /* : */) return undefined;
      portText = rest.slice(1);
    }
  } else {
    const colon = host.indexOf(':');
    if (colon === -1) {
      address = host;
    } else if (host.indexOf(':', colon + 1) === -1) {
      address = host.slice(0, colon);
      portText = host.slice(colon + 1);
    } else {
      // Two or more colons without brackets: only a bare IPv6 address (as in X-Forwarded-For),
      // never a name with extra ports (`host.example:80:81`).
      address = host;
      ipv6 = true;
    }
  }
  if (address.length === 0 || address.length > MAX_HOST_LENGTH) return undefined;
  if (ipv6 ? !isIPv6Text(address) : !isHostText(address)) return undefined;
  if (portText === undefined) return { address };
  const port = parsePort(portText);
  return port === undefined ? undefined : { address, port };
}

/** Letters, digits and the punctuation of host names and IPv4 addresses only. */
function isHostText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) || // a-z
      (c >= 65 && c <= 90) || // A-Z
      (c >= 48 && c <= 57) || // 0-9
      c === 45 || // -
      c === 46 || // .
      c === 95; // _
    if (!ok) return false;
  }
  return true;
}

/**
 * An IPv6 address (RFC 4291 text form, an optional `%zone`): at most eight groups of one to four
 * hex digits, one `::` at most, an IPv4 tail allowed in place of the last two groups.
 */
function isIPv6Text(text: string): boolean {
  const percent = text.indexOf('%');
  const address = percent === -1 ? text : text.slice(0, percent);
  if (percent !== -1 && (percent === text.length - 1 || !isHostText(text.slice(percent + 1)))) {
    return false;
  }
  const compressed = address.indexOf('::');
  if (compressed !== -1 && address.indexOf('::', compressed + 1) !== -1) return false;
  const groups = address.split(':');
  let count = 0;
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i] as string;
    if (group.length === 0) {
      // only the empty groups that `::` (at the start, inside or at the end) makes
      if (compressed === -1) return false;
      continue;
    }
    if (i === groups.length - 1 && group.indexOf('.') !== -1) {
      if (!isIPv4Text(group)) return false;
      count += 2;
      continue;
    }
    if (group.length > 4) return false;
    for (let j = 0; j < group.length; j++) {
      if (!hexDigit(group.charCodeAt(j))) return false;
    }
    count++;
  }
  return compressed === -1 ? count === 8 : count <= 7;
}

function isIPv4Text(text: string): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3) return false;
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      if (c < 48 || c > 57) return false;
    }
    if (Number(part) > 255) return false;
  }
  return true;
}

function hexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** The parameters of the first element of a `Forwarded` header (RFC 7239) that we use. */
export interface ForwardedElement {
  for?: string;
  host?: string;
  proto?: string;
}

/** Parses the first (client-most) element of a `Forwarded` header. */
export function parseForwarded(value: string | undefined): ForwardedElement | undefined {
  if (value === undefined) return undefined;
  const comma = value.indexOf(',');
  const element = comma === -1 ? value : value.slice(0, comma);
  const result: ForwardedElement = {};
  for (const pair of element.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const key = pair.slice(0, eq).trim().toLowerCase();
    let raw = pair.slice(eq + 1).trim();
    if (raw.length >= 2 && raw.charCodeAt(0) === 34 && raw.charCodeAt(raw.length - 1) === 34) {
      raw = raw.slice(1, -1);
    }
    if (raw.length === 0) continue;
    if (key === 'for' || key === 'host' || key === 'proto') result[key] = raw;
  }
  return result.for || result.host || result.proto ? result : undefined;
}

/**
 * The address part of a `Forwarded#for` / `X-Forwarded-For` node (`192.0.2.1`, `"[2001:db8::1]:4711"`,
 * `unknown`, `_hidden`). Obfuscated identifiers and anything not address-like give `undefined`.
 */
export function forwardedNodeAddress(node: string | undefined): string | undefined {
  if (node === undefined) return undefined;
  const trimmed = node.trim();
  if (trimmed.length === 0 || trimmed === 'unknown' || trimmed.charCodeAt(0) === 95 /* _ */) {
    return undefined;
  }
  const parsed = parseHost(trimmed);
  return parsed?.address;
}

/** The first entry of a comma-separated header such as `X-Forwarded-For`. */
export function firstListEntry(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const comma = value.indexOf(',');
  const entry = (comma === -1 ? value : value.slice(0, comma)).trim();
  return entry.length > 0 ? entry : undefined;
}

/** Maps Node's `httpVersion` (`'1.1'`, `'2.0'`) to `network.protocol.version` (`'1.1'`, `'2'`). */
export function protocolVersionOf(httpVersion: string | undefined): string | undefined {
  switch (httpVersion) {
    case '1.1':
    case '1.0':
      return httpVersion;
    case '2.0':
    case '2':
      return '2';
    case '3.0':
    case '3':
      return '3';
    default:
      return undefined;
  }
}

/** Default port of a scheme, for `server.port` when the `Host` header names none. */
export function defaultPortOf(scheme: string): number | undefined {
  return scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined;
}
