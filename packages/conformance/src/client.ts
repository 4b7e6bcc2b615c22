import http from 'node:http';
import net from 'node:net';

/** A request written byte for byte, for header values `fetch` would refuse or normalise. */
export interface RawRequest {
  method?: string;
  /** Request target, e.g. `/users/42?x=1`. */
  path: string;
  /** Header lines in order; a `Buffer` value is written as is (e.g. non-ASCII bytes). */
  headers?: ReadonlyArray<readonly [name: string, value: string | Buffer]>;
}

/** What came back on the wire. */
export interface RawResponse {
  /** The status code of the status line. */
  status: number;
  /** The response head (status line and headers) as text. */
  head: string;
}

/**
 * Sends one HTTP/1.1 request over a fresh TCP connection (`Connection: close`) and resolves with
 * the status line once the server closes the connection.
 */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const lines: Buffer[] = [
    Buffer.from(`${request.method ?? 'GET'} ${request.path} HTTP/1.1\r\n`),
    Buffer.from(`Host: ${hostname}:${port}\r\nConnection: close\r\n`),
  ];
  for (const [name, value] of request.headers ?? []) {
    lines.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n'));
  }
  lines.push(Buffer.from('\r\n'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // Written, not ended: a half-closed connection is one that Deno.serve drops unanswered, and
    // `Connection: close` already has the server close it once the response is sent.
    const socket = net.connect(Number(port), hostname, () => socket.write(Buffer.concat(lines)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parseResponseHead(Buffer.concat(chunks).toString('latin1')));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/**
 * Reads the status code out of a raw HTTP/1.x response.
 *
 * @throws Error when the text does not start with a status line.
 */
export function parseResponseHead(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!match?.[1]) throw new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 80))}`);
  return { status: Number(match[1]), head };
}

/** A request in flight that the check can abandon, as a client that hangs up would. */
export interface AbandonableRequest {
  /** Resolves with the response once its head arrives. */
  readonly response: Promise<http.IncomingMessage>;
  /** Destroys the connection (the client hangs up). */
  hangUp(): void;
  /** Resolves when the connection is closed, whoever closed it. */
  readonly closed: Promise<void>;
}

/**
 * Starts a GET on its own connection (no keep-alive agent), so that hanging up really closes the
 * socket the server is answering on. Connection errors caused by the hang-up are expected and
 * swallowed.
 */
export function startRequest(url: string): AbandonableRequest {
  const request = http.get(url, { agent: false });
  request.on('error', () => {});
  const response = new Promise<http.IncomingMessage>((resolve) => {
    request.on('response', (res) => {
      res.on('error', () => {});
      resolve(res);
    });
  });
  const closed = new Promise<void>((resolve) => request.on('close', () => resolve()));
  return { response, closed, hangUp: () => request.destroy() };
}

/**
 * Sends a request with a method `fetch` does not pass through unchanged, and resolves with the
 * status once the body has been read.
 */
export function requestWithMethod(url: string, method: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}
