/**
 * Outgoing requests: a CLIENT span per request and the active context sent in its headers, so that
 * a call from one instrumented service to another continues the same trace. Uses only
 * `@opentelemetry/api` and web globals (`fetch`, `Headers`, `URL`), so it runs wherever core does.
 */

export { METRIC_HTTP_CLIENT_REQUEST_DURATION, redactedFullUrl } from './attributes.js';
export { type FetchFunction, fetchWithTracing, instrumentedFetch } from './fetch.js';
export {
  type ClientRequestHandle,
  type ClientRequestOutcome,
  type ClientRequestTarget,
  createHttpClientInstrumentation,
  type HttpClientInstrumentation,
  type HttpClientOptions,
} from './http-client.js';
