/**
 * The semantic-convention names the checks assert on, spelled once. They mirror the stable HTTP
 * conventions (see the project's semconv checklist); the suite deliberately does not import them
 * from core, so that a wrong name in core is caught rather than copied.
 */
export const ATTR = {
  method: 'http.request.method',
  methodOriginal: 'http.request.method_original',
  route: 'http.route',
  statusCode: 'http.response.status_code',
  errorType: 'error.type',
  urlPath: 'url.path',
  urlQuery: 'url.query',
  urlScheme: 'url.scheme',
  urlFull: 'url.full',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  clientAddress: 'client.address',
  userAgent: 'user_agent.original',
  protocolName: 'network.protocol.name',
  protocolVersion: 'network.protocol.version',
  exceptionType: 'exception.type',
  exceptionMessage: 'exception.message',
  syntheticType: 'user_agent.synthetic.type',
  peerAddress: 'network.peer.address',
  peerPort: 'network.peer.port',
} as const;

/** The event name and severity of a server exception recorded as a log record. */
export const SERVER_EXCEPTION_EVENT = 'http.server.request.exception';
export const SEVERITY_ERROR = 17;

/** `http.request.header.<name>` for a captured request header. */
export const requestHeaderAttribute = (name: string) => `http.request.header.${name}`;

/** `http.response.header.<name>` for a captured response header. */
export const responseHeaderAttribute = (name: string) => `http.response.header.${name}`;

/** Metric instrument names. */
export const METRIC = {
  duration: 'http.server.request.duration',
  activeRequests: 'http.server.active_requests',
  requestBodySize: 'http.server.request.body.size',
  responseBodySize: 'http.server.response.body.size',
} as const;

/** The bucket boundaries the conventions advise for `http.server.request.duration`, in seconds. */
export const ADVISED_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/**
 * Attributes a duration (or body size) data point may carry with the default options: the required,
 * conditionally required and recommended ones. `server.address`/`server.port` are opt-in on
 * metrics and not enabled by default.
 */
export const ALLOWED_DURATION_ATTRIBUTES: ReadonlySet<string> = new Set([
  ATTR.method,
  ATTR.urlScheme,
  ATTR.statusCode,
  ATTR.route,
  ATTR.errorType,
  ATTR.protocolName,
  ATTR.protocolVersion,
]);

/** Attributes `http.server.active_requests` may carry with the default options. */
export const ALLOWED_ACTIVE_REQUESTS_ATTRIBUTES: ReadonlySet<string> = new Set([
  ATTR.method,
  ATTR.urlScheme,
]);

/** Per-request values that must never become metric labels. */
export const FORBIDDEN_METRIC_ATTRIBUTES: readonly string[] = [
  ATTR.urlPath,
  ATTR.urlQuery,
  ATTR.urlFull,
  ATTR.clientAddress,
  ATTR.userAgent,
  ATTR.serverAddress,
];
