/**
 * The old (pre-1.23) HTTP attribute names, emitted beside the stable ones only when
 * `OTEL_SEMCONV_STABILITY_OPT_IN=http/dup` (or `semconvStability: 'dup'`) asks for them: every use
 * of an old name is in this file. The old duration metric (`http.server.duration`, ms) is created
 * in `metrics.ts`, whose attributes come from {@link oldMetricAttributes}.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_HTTP_ROUTE,
  OLD_ATTR_HTTP_CLIENT_IP,
  OLD_ATTR_HTTP_FLAVOR,
  OLD_ATTR_HTTP_METHOD,
  OLD_ATTR_HTTP_SCHEME,
  OLD_ATTR_HTTP_STATUS_CODE,
  OLD_ATTR_HTTP_TARGET,
  OLD_ATTR_HTTP_USER_AGENT,
  OLD_ATTR_NET_HOST_NAME,
  OLD_ATTR_NET_HOST_PORT,
} from './semconv.js';

/** What the old start attributes are made of, already bounded by the stable ones' rules. */
export interface OldStartFacts {
  /** The method as received (the old conventions did not normalise it), already cut. */
  readonly method: string;
  readonly scheme: string;
  readonly path: string;
  /** The redacted query, if any. */
  readonly query: string | undefined;
  readonly serverAddress: string | undefined;
  readonly serverPort: number | undefined;
  readonly protocolVersion: string | undefined;
  /** Already cut. */
  readonly userAgent: string | undefined;
  readonly clientAddress: string | undefined;
}

/** Adds the old names of the start attributes to `attributes`. */
export function addOldStartAttributes(attributes: Attributes, facts: OldStartFacts): void {
  attributes[OLD_ATTR_HTTP_METHOD] = facts.method;
  attributes[OLD_ATTR_HTTP_SCHEME] = facts.scheme;
  attributes[OLD_ATTR_HTTP_TARGET] =
    facts.query === undefined ? facts.path : `${facts.path}?${facts.query}`;
  if (facts.serverAddress !== undefined) {
    attributes[OLD_ATTR_NET_HOST_NAME] = facts.serverAddress;
    if (facts.serverPort !== undefined) attributes[OLD_ATTR_NET_HOST_PORT] = facts.serverPort;
  }
  if (facts.protocolVersion !== undefined) attributes[OLD_ATTR_HTTP_FLAVOR] = facts.protocolVersion;
  if (facts.userAgent !== undefined) attributes[OLD_ATTR_HTTP_USER_AGENT] = facts.userAgent;
  if (facts.clientAddress !== undefined) attributes[OLD_ATTR_HTTP_CLIENT_IP] = facts.clientAddress;
}

/** The old name of the status code attribute, set on the span beside the stable one. */
export const OLD_STATUS_CODE = OLD_ATTR_HTTP_STATUS_CODE;

/** The attributes of the old `http.server.duration` metric. */
export function oldMetricAttributes(
  method: string,
  scheme: string,
  status: number | undefined,
  route: string | undefined,
  protocolVersion: string | undefined,
): Attributes {
  const attributes: Attributes = { [OLD_ATTR_HTTP_METHOD]: method, [OLD_ATTR_HTTP_SCHEME]: scheme };
  if (status !== undefined) attributes[OLD_ATTR_HTTP_STATUS_CODE] = status;
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  if (protocolVersion !== undefined) attributes[OLD_ATTR_HTTP_FLAVOR] = protocolVersion;
  return attributes;
}
