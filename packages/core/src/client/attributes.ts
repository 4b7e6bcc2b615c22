/**
 * Pure helpers for HTTP client spans: what `url.full`, `server.address`, `server.port` and
 * `error.type` are for an outgoing request. No OpenTelemetry objects here.
 */

import { errorType } from '../errors.js';
import { defaultPortOf } from '../http.js';
import { redactQuery } from '../redact.js';
import { REDACTED } from '../semconv.js';

/** `http.client.request.duration`: the client counterpart of the server duration histogram. */
export const METRIC_HTTP_CLIENT_REQUEST_DURATION = 'http.client.request.duration';

/**
 * `url.full` as the conventions want it recorded: user name and password replaced by
 * `REDACTED:REDACTED`, the values of the listed query parameters by `REDACTED`. The fragment is
 * kept (it is part of the URL the caller asked for, though never sent).
 */
export function redactedFullUrl(url: URL, redactedParams: ReadonlySet<string>): string {
  const hasCredentials = url.username !== '' || url.password !== '';
  const query = url.search.length > 1 ? url.search.slice(1) : '';
  const redactedQuery = query === '' ? query : redactQuery(query, redactedParams);
  if (!hasCredentials && redactedQuery === query) return url.href;
  // Built by hand: assigning `URL#search` would re-encode the redacted query.
  const auth = hasCredentials ? `${REDACTED}:${REDACTED}@` : '';
  const search = query === '' ? url.search : `?${redactedQuery}`;
  return `${url.protocol}//${auth}${url.host}${url.pathname}${search}${url.hash}`;
}

/** `server.address`: the host of the URL, IPv6 literals without brackets. */
export function serverAddressOf(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `server.port`: the URL's port, or the scheme's default. */
export function serverPortOf(url: URL): number | undefined {
  if (url.port !== '') return Number(url.port);
  return defaultPortOf(url.protocol.slice(0, -1));
}

/**
 * Fetch normalises these methods to upper case whatever case they were given in, and sends every
 * other method as written; the span must report what went on the wire.
 */
const FETCH_NORMALISED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** The method `fetch` sends for a given `init.method`. */
export function fetchWireMethod(method: string): string {
  const upper = method.toUpperCase();
  return FETCH_NORMALISED_METHODS.has(upper) ? upper : method;
}

/** A code such as `ECONNREFUSED` or `UND_ERR_CONNECT_TIMEOUT`: low cardinality by construction. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * `error.type` of a failed outgoing request. Fetch rejects with a generic `TypeError` whose `cause`
 * holds the real reason, so a well-known error code found there (or on the error) is preferred;
 * aborts and timeouts report their `name` (`AbortError`, `TimeoutError`); otherwise the class name.
 */
export function clientErrorType(error: unknown): string {
  try {
    for (const candidate of [error, (error as { cause?: unknown } | null)?.cause]) {
      const code = (candidate as { code?: unknown } | null | undefined)?.code;
      if (typeof code === 'string' && ERROR_CODE.test(code)) return code;
    }
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'AbortError' || name === 'TimeoutError') return name;
  } catch {
    // a hostile getter: fall through to the class name
  }
  return errorType(error);
}

/**
 * Whether a failed call was cancelled on purpose by its caller: its abort signal fired for a
 * reason other than a timeout (`AbortSignal.timeout()` aborts with a `TimeoutError`, a failure).
 * The conventions do not count such a cancellation as an error.
 */
export function cancelledByCaller(signal: AbortSignal | null | undefined): boolean {
  try {
    if (signal?.aborted !== true) return false;
    return (signal.reason as { name?: unknown } | null | undefined)?.name !== 'TimeoutError';
  } catch {
    return false;
  }
}
