/**
 * The semantic-convention names this library emits, in one place. Stable HTTP conventions as of
 * {@link SEMCONV_VERSION}, plus the old names emitted only under
 * `OTEL_SEMCONV_STABILITY_OPT_IN=http/dup`.
 */

/** The semantic-conventions release the packages implement (see docs/semconv-audit.md). */
export const SEMCONV_VERSION = '1.44.0';

export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_REQUEST_METHOD_ORIGINAL = 'http.request.method_original';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_URL_QUERY = 'url.query';
export const ATTR_URL_SCHEME = 'url.scheme';
export const ATTR_URL_FULL = 'url.full';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_CLIENT_ADDRESS = 'client.address';
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
export const ATTR_NETWORK_PEER_PORT = 'network.peer.port';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
export const ATTR_USER_AGENT_ORIGINAL = 'user_agent.original';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_HTTP_REQUEST_BODY_SIZE = 'http.request.body.size';
export const ATTR_HTTP_RESPONSE_BODY_SIZE = 'http.response.body.size';
export const ATTR_HTTP_REQUEST_HEADER_PREFIX = 'http.request.header.';
export const ATTR_HTTP_RESPONSE_HEADER_PREFIX = 'http.response.header.';
/** Opt-in: `bot`, `test`, or a value of the application's own classifier. */
export const ATTR_USER_AGENT_SYNTHETIC_TYPE = 'user_agent.synthetic.type';
export const ATTR_EXCEPTION_TYPE = 'exception.type';
export const ATTR_EXCEPTION_MESSAGE = 'exception.message';
export const ATTR_EXCEPTION_STACKTRACE = 'exception.stacktrace';

/** The well-known values of `user_agent.synthetic.type`. */
export const SYNTHETIC_TYPE_BOT = 'bot';
export const SYNTHETIC_TYPE_TEST = 'test';

/**
 * The event names of an exception recorded as a log record, and their advised severity numbers:
 * ERROR (17) on the server, WARN (13) on the client.
 */
export const EVENT_HTTP_SERVER_REQUEST_EXCEPTION = 'http.server.request.exception';
export const EVENT_HTTP_CLIENT_REQUEST_EXCEPTION = 'http.client.request.exception';
export const SEVERITY_NUMBER_WARN = 13;
export const SEVERITY_NUMBER_ERROR = 17;

/** Old (pre-1.23) names, emitted alongside the stable ones in `http/dup` mode. */
export const OLD_ATTR_HTTP_METHOD = 'http.method';
export const OLD_ATTR_HTTP_STATUS_CODE = 'http.status_code';
export const OLD_ATTR_HTTP_SCHEME = 'http.scheme';
export const OLD_ATTR_HTTP_TARGET = 'http.target';
export const OLD_ATTR_NET_HOST_NAME = 'net.host.name';
export const OLD_ATTR_NET_HOST_PORT = 'net.host.port';
export const OLD_ATTR_HTTP_FLAVOR = 'http.flavor';
export const OLD_ATTR_HTTP_USER_AGENT = 'http.user_agent';
export const OLD_ATTR_HTTP_CLIENT_IP = 'http.client_ip';

export const METRIC_HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration';
export const METRIC_HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests';
export const METRIC_HTTP_SERVER_REQUEST_BODY_SIZE = 'http.server.request.body.size';
export const METRIC_HTTP_SERVER_RESPONSE_BODY_SIZE = 'http.server.response.body.size';
/** The old duration metric, in milliseconds, emitted only in `http/dup` mode. */
export const OLD_METRIC_HTTP_SERVER_DURATION = 'http.server.duration';

/** Advised explicit bucket boundaries of `http.server.request.duration`, in seconds. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
/** Boundaries for the old millisecond metric. */
export const DURATION_BUCKETS_MILLISECONDS: readonly number[] = DURATION_BUCKETS_SECONDS.map(
  (s) => s * 1000,
);

/** `_OTHER`: the method and `error.type` value for anything outside the known set. */
export const OTHER = '_OTHER';

/** `error.type` of a request whose client went away before the response was complete. */
export const ERROR_TYPE_ABORTED = 'aborted';

/**
 * The default known set, matched case-sensitively: the methods of RFC 9110, PATCH (RFC 5789) and
 * QUERY (the safe method with a body, in the conventions' list since v1.38).
 */
export const DEFAULT_KNOWN_METHODS: readonly string[] = [
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
];

/** Query parameters whose values the semantic conventions say to redact in `url.query`. */
export const DEFAULT_REDACTED_QUERY_PARAMS: readonly string[] = [
  'AWSAccessKeyId',
  'Signature',
  'sig',
  'X-Goog-Signature',
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
];

/** Headers whose values are never recorded, even when listed for capture. */
export const ALWAYS_REDACTED_HEADERS: readonly string[] = [
  'authorization',
  'cookie',
  'set-cookie',
  'proxy-authorization',
];

export const REDACTED = 'REDACTED';
