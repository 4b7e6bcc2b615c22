import type { Attributes } from '@opentelemetry/api';
import {
  defaultPortOf,
  firstHeaderValue,
  firstListEntry,
  forwardedNodeAddress,
  parseForwarded,
  parseHost,
} from './http.js';
import { addOldStartAttributes } from './old-semconv.js';
import { headerAttributeValue, redactQuery } from './redact.js';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_BODY_SIZE,
  ATTR_HTTP_REQUEST_HEADER_PREFIX,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  ATTR_USER_AGENT_SYNTHETIC_TYPE,
  OTHER,
  SYNTHETIC_TYPE_BOT,
  SYNTHETIC_TYPE_TEST,
} from './semconv.js';
import type { RequestInfo, ResolvedConfig } from './types.js';

/** Longest `http.request.method_original` / `user_agent.original` recorded; the rest is cut. */
const MAX_METHOD_LENGTH = 64;
const MAX_USER_AGENT_LENGTH = 1024;
/**
 * Longest `url.query` recorded. The query is cut before it is redacted, so a cut never exposes a
 * value: a key cut short matches no redacted name and keeps no value.
 */
export const MAX_QUERY_LENGTH = 8192;

/** `http.request.method` and, when it differs, `http.request.method_original`. */
export function normalizeMethod(
  method: string,
  known: ReadonlySet<string>,
): { method: string; original: string | undefined } {
  if (known.has(method)) return { method, original: undefined };
  return { method: OTHER, original: method.slice(0, MAX_METHOD_LENGTH) };
}

/** Longest `user_agent.synthetic.type` a custom classifier may give; the rest is cut. */
export const MAX_SYNTHETIC_TYPE_LENGTH = 32;

/**
 * Synthetic monitors and load/browser test tools, by their `User-Agent` product tokens. Tested
 * before {@link BOT_AGENTS}: several monitors call themselves bots (`Pingdom.com_bot`,
 * `UptimeRobot`).
 */
const TEST_AGENTS =
  /Datadog\/Synthetics|Pingdom|UptimeRobot|StatusCake|Site24x7|Checkly|\bk6\/|HeadlessChrome|Cypress\/|Playwright/i;
/** Crawlers, spiders and link-preview fetchers. */
const BOT_AGENTS = /(?:bot|crawler|spider|slurp)\b|facebookexternalhit|mediapartners-google/i;

/**
 * The built-in `user_agent.synthetic.type` classifier (`syntheticType: true`): `test` for the
 * synthetic monitors and test tools of `TEST_AGENTS`, `bot` for a `User-Agent` naming a bot,
 * crawler or spider, `undefined` for everything else (and for no `User-Agent`). Only these two
 * values, so the metric label stays bounded; the first 1,024 characters are looked at.
 */
export function syntheticTypeOf(info: RequestInfo): string | undefined {
  const userAgent = firstHeaderValue(info.header('user-agent'))?.slice(0, MAX_USER_AGENT_LENGTH);
  if (userAgent === undefined || userAgent.length === 0) return undefined;
  if (TEST_AGENTS.test(userAgent)) return SYNTHETIC_TYPE_TEST;
  if (BOT_AGENTS.test(userAgent)) return SYNTHETIC_TYPE_BOT;
  return undefined;
}

/** The scheme, server and client as seen through proxies the application trusts. */
export interface Endpoints {
  scheme: string;
  serverAddress: string | undefined;
  serverPort: number | undefined;
  clientAddress: string | undefined;
}

/** A server is mostly reached under one name: the last `Host` value parsed is kept. */
let lastHost: string | undefined;
let lastParsedHost: { address: string; port?: number } | undefined;

function parseHostCached(
  value: string | undefined,
): { address: string; port?: number } | undefined {
  if (value === undefined) return undefined;
  if (value !== lastHost) {
    lastParsedHost = parseHost(value);
    if (lastParsedHost !== undefined) Object.freeze(lastParsedHost);
    lastHost = value;
  }
  return lastParsedHost;
}

/**
 * Resolves `url.scheme`, `server.address`/`server.port` and `client.address`: from `Forwarded`,
 * then `X-Forwarded-*`, only when proxies are trusted; then `:authority`, then `Host`; the client
 * falls back to the socket peer.
 */
export function resolveEndpoints(info: RequestInfo, trustProxy: boolean): Endpoints {
  let scheme = info.scheme;
  let host: { address: string; port?: number } | undefined;
  let clientAddress: string | undefined;
  if (trustProxy) {
    const forwarded = parseForwarded(firstHeaderValue(info.header('forwarded')));
    const proto = (
      forwarded?.proto ?? firstListEntry(firstHeaderValue(info.header('x-forwarded-proto')))
    )?.toLowerCase();
    if (proto === 'http' || proto === 'https') scheme = proto;
    host =
      parseHost(forwarded?.host) ??
      parseHost(firstListEntry(firstHeaderValue(info.header('x-forwarded-host'))));
    clientAddress =
      forwardedNodeAddress(forwarded?.for) ??
      forwardedNodeAddress(firstListEntry(firstHeaderValue(info.header('x-forwarded-for'))));
  }
  host ??= parseHostCached(
    firstHeaderValue(info.header(':authority')) ?? firstHeaderValue(info.header('host')),
  );
  return {
    scheme,
    serverAddress: host?.address,
    serverPort: host ? (host.port ?? defaultPortOf(scheme)) : undefined,
    clientAddress: clientAddress ?? info.peerAddress,
  };
}

/** `Content-Length` of the request, when it is a valid number. */
export function requestBodySizeOf(info: RequestInfo): number | undefined {
  const value = firstHeaderValue(info.header('content-length'));
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/**
 * The span attributes known when the request starts — the ones samplers see. Built only when a
 * span will be started.
 */
export function startAttributes(
  info: RequestInfo,
  config: ResolvedConfig,
  method: string,
  methodOriginal: string | undefined,
  endpoints: Endpoints,
  syntheticType?: string,
): Attributes {
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_PATH]: info.path,
    [ATTR_URL_SCHEME]: endpoints.scheme,
  };
  if (methodOriginal !== undefined) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = methodOriginal;
  const query =
    info.query !== undefined && info.query.length > 0
      ? redactQuery(
          info.query.length > MAX_QUERY_LENGTH ? info.query.slice(0, MAX_QUERY_LENGTH) : info.query,
          config.redactQueryParams,
        )
      : undefined;
  if (query !== undefined) attributes[ATTR_URL_QUERY] = query;
  if (endpoints.serverAddress !== undefined) {
    attributes[ATTR_SERVER_ADDRESS] = endpoints.serverAddress;
    if (endpoints.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = endpoints.serverPort;
  }
  if (endpoints.clientAddress !== undefined)
    attributes[ATTR_CLIENT_ADDRESS] = endpoints.clientAddress;
  if (info.peerAddress !== undefined) attributes[ATTR_NETWORK_PEER_ADDRESS] = info.peerAddress;
  if (info.peerPort !== undefined) attributes[ATTR_NETWORK_PEER_PORT] = info.peerPort;
  if (info.protocolVersion !== undefined) {
    attributes[ATTR_NETWORK_PROTOCOL_VERSION] = info.protocolVersion;
  }
  const userAgent = firstHeaderValue(info.header('user-agent'));
  if (userAgent !== undefined) {
    attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent.slice(0, MAX_USER_AGENT_LENGTH);
  }
  if (syntheticType !== undefined) attributes[ATTR_USER_AGENT_SYNTHETIC_TYPE] = syntheticType;
  if (config.metrics.requestBodySize) {
    const size = requestBodySizeOf(info);
    if (size !== undefined) attributes[ATTR_HTTP_REQUEST_BODY_SIZE] = size;
  }
  for (const name of config.captureRequestHeaders) {
    const value = headerAttributeValue(info.header(name), config.sensitiveHeaders.has(name));
    if (value !== undefined) attributes[ATTR_HTTP_REQUEST_HEADER_PREFIX + name] = value;
  }
  if (config.emitOldSemconv) {
    addOldStartAttributes(attributes, {
      method: info.method.slice(0, MAX_METHOD_LENGTH),
      scheme: endpoints.scheme,
      path: info.path,
      query,
      serverAddress: endpoints.serverAddress,
      serverPort: endpoints.serverPort,
      protocolVersion: info.protocolVersion,
      userAgent: userAgent?.slice(0, MAX_USER_AGENT_LENGTH),
      clientAddress: endpoints.clientAddress,
    });
  }
  return attributes;
}
