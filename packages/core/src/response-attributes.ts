/**
 * The end-of-request rules, as pure functions: which status counts, whether and how the request
 * failed (`error.type`), and the attributes the metrics and the span get at the end. The request
 * handle (`lifecycle.ts`) only calls these in order; they are table-tested without a server.
 */
import type { Attributes } from '@opentelemetry/api';
import { callSafely } from './diag.js';
import { errorType } from './errors.js';
import { OLD_STATUS_CODE } from './old-semconv.js';
import { headerAttributeValue } from './redact.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_BODY_SIZE,
  ATTR_HTTP_RESPONSE_HEADER_PREFIX,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ERROR_TYPE_ABORTED,
  OTHER,
} from './semconv.js';
import type { ResolvedConfig } from './types.js';

/** A status code as the client could have received it (100–999), else `undefined`. */
export function validStatus(code: unknown): number | undefined {
  return typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 999
    ? code
    : undefined;
}

/** A byte count that can be recorded, else `undefined`. */
export function validSize(size: unknown): number | undefined {
  return typeof size === 'number' && Number.isFinite(size) && size >= 0 ? size : undefined;
}

/**
 * `error.type` of a request, or `undefined` when it did not fail: `aborted` when the client went
 * away first; when no status was sent, the error's class (or `_OTHER`); for a 5xx, the error's
 * class, else the status code as a string. 1xx–4xx did not fail, whatever was thrown on the way.
 */
export function failureOf(
  aborted: boolean | undefined,
  status: number | undefined,
  hasError: boolean,
  error: unknown,
): string | undefined {
  if (aborted) return ERROR_TYPE_ABORTED;
  if (status === undefined) return hasError ? errorType(error) : OTHER;
  if (status >= 500) return hasError ? errorType(error) : String(status);
  return undefined;
}

/** The attributes of the duration and body-size measurements: `base` is method and scheme. */
export function metricAttributes(
  base: Attributes,
  status: number | undefined,
  route: string | undefined,
  failure: string | undefined,
  protocolVersion: string | undefined,
): Attributes {
  const attributes: Attributes = { ...base };
  if (status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
  if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
  if (failure !== undefined) attributes[ATTR_ERROR_TYPE] = failure;
  if (protocolVersion !== undefined) attributes[ATTR_NETWORK_PROTOCOL_VERSION] = protocolVersion;
  return attributes;
}

/** Where end-of-span attributes go: a span, or anything that collects them the same way. */
export interface AttributeTarget {
  setAttribute(key: string, value: number | string): unknown;
}

/**
 * Sets the attributes the span gets at its end (beside the status, the exception and the name) on
 * `target`, one by one: building an object for `span.setAttributes` would cost every request an
 * allocation and a property walk in the SDK.
 */
export function setEndSpanAttributes(
  target: AttributeTarget,
  config: Pick<ResolvedConfig, 'emitOldSemconv' | 'metrics'>,
  status: number | undefined,
  route: string | undefined,
  failure: string | undefined,
  responseBodySize: number | undefined,
): void {
  if (status !== undefined) {
    target.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (config.emitOldSemconv) target.setAttribute(OLD_STATUS_CODE, status);
  }
  if (route !== undefined) target.setAttribute(ATTR_HTTP_ROUTE, route);
  if (failure !== undefined) target.setAttribute(ATTR_ERROR_TYPE, failure);
  if (config.metrics.responseBodySize && responseBodySize !== undefined) {
    target.setAttribute(ATTR_HTTP_RESPONSE_BODY_SIZE, responseBodySize);
  }
}

/**
 * `http.response.header.<name>` for every captured header present, sensitive ones redacted. A
 * throwing `read` loses only that header (and is reported).
 */
export function responseHeaderAttributes(
  config: Pick<ResolvedConfig, 'captureResponseHeaders' | 'sensitiveHeaders'>,
  read: (name: string) => string | string[] | number | undefined,
): Attributes {
  const attributes: Attributes = {};
  for (const name of config.captureResponseHeaders) {
    const value = headerAttributeValue(
      callSafely('reading a response header', () => read(name), undefined),
      config.sensitiveHeaders.has(name),
    );
    if (value !== undefined) attributes[ATTR_HTTP_RESPONSE_HEADER_PREFIX + name] = value;
  }
  return attributes;
}

/** `{METHOD} {route}`, `{METHOD}` without a route; `HTTP` stands for a method outside the set. */
export function spanNameOf(method: string, route: string | undefined): string {
  const methodPart = method === OTHER ? 'HTTP' : method;
  return route === undefined ? methodPart : `${methodPart} ${route}`;
}
