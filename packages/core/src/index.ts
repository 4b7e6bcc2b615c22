/**
 * `@otel-http/core`: the framework-agnostic part of otel-http. Adapters read their framework's
 * request into a {@link RequestInfo}, call {@link createServerInstrumentation}'s `start`, run the
 * chain in the handle's context, report the route and the outcome. Everything semantic is here.
 */

export {
  BAGGAGE_HEADER,
  decodeBaggageValue,
  encodeBaggageValue,
  type ParsedBaggageMember,
  parseBaggage,
  StrictW3CBaggagePropagator,
  serializeBaggage,
} from './baggage-propagator.js';
export * from './client/index.js';
export { MAX_OVERRIDE_LENGTH, overrideOr } from './config.js';
export { type ComponentLogger, callSafely, createLogger, isThenable } from './diag.js';
export { errorType } from './errors.js';
export {
  endOnFetchResponse,
  type FetchConnectionInfo,
  requestInfoFromFetch,
} from './fetch-server.js';
export {
  activeSpan,
  type TraceFields,
  traceFields,
  type WithSpanOptions,
  withSpan,
} from './handler-helpers.js';
export { type ForwardedElement, parseForwarded, parseHost, splitTarget } from './http.js';
export { createServerInstrumentation } from './lifecycle.js';
export {
  type RedExemplar,
  RedMetricProducer,
  type RedMetricProducerOptions,
} from './red-metrics.js';
export { redactQuery } from './redact.js';
export { normalizeMethod, syntheticTypeOf } from './request-attributes.js';
export { recordRequestError } from './request-context.js';
export { traceResponseHeader } from './response-header.js';
export { SAMPLER_IGNORES_ATTRIBUTES } from './sampler-inspection.js';
export {
  ALWAYS_REDACTED_HEADERS,
  DEFAULT_KNOWN_METHODS,
  DEFAULT_REDACTED_QUERY_PARAMS,
  DURATION_BUCKETS_SECONDS,
  ERROR_TYPE_ABORTED,
  SEMCONV_VERSION,
} from './semconv.js';
export {
  DEFAULT_MAX_MESSAGE_EVENTS,
  EVENT_STREAM_HEADERS,
  type EventStream,
  type EventStreamOptions,
  eventStream,
  formatEvent,
  lastEventId,
  MAX_LAST_EVENT_ID_LENGTH,
  type ServerSentEvent,
  SSE_ATTRIBUTES,
} from './sse.js';
export {
  type ParsedTraceparent,
  parseTraceparent,
  parseTraceState,
  StrictW3CTraceContextPropagator,
  TRACESTATE_MAX_LENGTH,
  TRACESTATE_MAX_MEMBERS,
  W3CTraceState,
} from './trace-context-propagator.js';
export type {
  ExceptionLoggerProvider,
  ExceptionLogRecord,
  ExceptionSignal,
  MetricsOptions,
  OtelHttpOptions,
  RequestHandle,
  RequestInfo,
  RequestOutcome,
  ResolvedConfig,
  ServerInstrumentation,
} from './types.js';
export {
  acceptUpgrade,
  startWebSocketSession,
  WEBSOCKET_ATTRIBUTES,
  type WebSocketSession,
  type WebSocketSessionOptions,
  type WebSocketSessionRecorder,
} from './websocket-session.js';
