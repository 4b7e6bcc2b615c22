import http2 from 'node:http2';

/** A response read over HTTP/2. */
export interface Http2Response {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: string;
}

/** What a request may carry. */
export interface Http2RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Opens a session to `url` (`http:` is h2c with prior knowledge, `https:` is TLS with ALPN `h2`).
 * The TLS certificate is not verified: the suite's servers use the test-only one.
 */
function connect(url: string): http2.ClientHttp2Session {
  const session = http2.connect(url, { rejectUnauthorized: false });
  // Errors surface on the streams; a session error after a cancel is expected.
  session.on('error', () => {});
  return session;
}

/** How long a request may take before the check fails instead of waiting for the test timeout. */
const RESPONSE_TIMEOUT_MS = 5000;

/**
 * Sends one request on a fresh session, reads the whole body and closes the session.
 *
 * @throws Error when the stream fails, or when the response is not complete within 5 s.
 */
export function http2Request(
  url: string,
  path: string,
  init: Http2RequestInit = {},
): Promise<Http2Response> {
  return new Promise((resolve, reject) => {
    const session = connect(url);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`${path}: no complete response within ${RESPONSE_TIMEOUT_MS} ms`));
    }, RESPONSE_TIMEOUT_MS);
    const stream = session.request({
      ':method': init.method ?? 'GET',
      ':path': path,
      ...init.headers,
    });
    let headers: http2.IncomingHttpHeaders = {};
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (received) => {
      headers = received;
    });
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    stream.on('error', (error) => {
      clearTimeout(timer);
      session.destroy();
      reject(error);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      session.close();
      resolve({ status: Number(headers[':status']), headers, body });
    });
    stream.end(init.body);
  });
}

/** A request whose stream the check cancels, as a client that gives up would. */
export interface CancellableHttp2Request {
  /** Resolves with the status once the response head arrives. */
  readonly response: Promise<number>;
  /** Resolves when the first bytes of the body arrive. */
  readonly firstData: Promise<void>;
  /** Sends `RST_STREAM` with `CANCEL` for this stream; the session stays open. */
  cancel(): void;
  /** Resolves when the stream is closed (then the session is closed too). */
  readonly closed: Promise<void>;
}

/** Starts a GET on a fresh session that the check can cancel with `RST_STREAM` (CANCEL). */
export function startHttp2Request(url: string, path: string): CancellableHttp2Request {
  const session = connect(url);
  const stream = session.request({ ':path': path });
  stream.on('error', () => {});
  const response = new Promise<number>((resolve) => {
    stream.on('response', (headers) => resolve(Number(headers[':status'])));
  });
  const firstData = new Promise<void>((resolve) => stream.once('data', () => resolve()));
  const closed = new Promise<void>((resolve) =>
    stream.on('close', () => {
      session.close();
      resolve();
    }),
  );
  stream.end();
  return {
    response,
    firstData,
    closed,
    cancel: () => stream.close(http2.constants.NGHTTP2_CANCEL),
  };
}
