import { splitTarget } from './http.js';
import type { RequestHandle, RequestInfo } from './types.js';

/** What a Fetch `Request` does not say about the connection, when the runtime knows it. */
export interface FetchConnectionInfo {
  peerAddress?: string | undefined;
  peerPort?: number | undefined;
  protocolVersion?: string | undefined;
}

class FetchRequestInfo implements RequestInfo {
  readonly method: string;
  readonly scheme: string;
  readonly path: string;
  readonly query: string | undefined;
  readonly peerAddress: string | undefined;
  readonly peerPort: number | undefined;
  readonly protocolVersion: string | undefined;
  private readonly request: Request;

  constructor(request: Request, connection: FetchConnectionInfo) {
    this.request = request;
    this.method = request.method;
    this.scheme = request.url.startsWith('https:') ? 'https' : 'http';
    const target = splitTarget(request.url);
    this.path = target.path;
    this.query = target.query;
    this.peerAddress = connection.peerAddress;
    this.peerPort = connection.peerPort;
    this.protocolVersion = connection.protocolVersion;
  }

  header(name: string): string | undefined {
    // Fetch has no pseudo-headers (and Headers.get throws on their names): the URL's authority is
    // what `:authority` would say, also when there is no Host header (`app.request('/path')`).
    if (name.charCodeAt(0) === 58 /* : */) {
      return name === ':authority' ? authorityOf(this.request.url) : undefined;
    }
    try {
      return this.request.headers.get(name) ?? undefined;
    } catch {
      return undefined;
    }
  }

  headerNames(): string[] {
    return [...this.request.headers.keys()];
  }
}

function authorityOf(url: string): string | undefined {
  const start = url.indexOf('://');
  if (start === -1) return undefined;
  const end = url.slice(start + 3).search(/[/?#]/);
  const authority = end === -1 ? url.slice(start + 3) : url.slice(start + 3, start + 3 + end);
  const at = authority.lastIndexOf('@');
  return at === -1 ? authority : authority.slice(at + 1);
}

/** Reads a Fetch API `Request` (Hono, Bun, Deno, Workers) as a {@link RequestInfo}. */
export function requestInfoFromFetch(
  request: Request,
  connection: FetchConnectionInfo = {},
): RequestInfo {
  return new FetchRequestInfo(request, connection);
}

/**
 * Ends `handle` with a Fetch `Response`: a body-less response ends it at once; otherwise the
 * returned response's body ends it at the last chunk (counting bytes) or when the consumer cancels
 * (the client went away: `aborted`). Return the result instead of the original response.
 */
export function endOnFetchResponse(handle: RequestHandle, response: Response): Response {
  const statusCode = response.status;
  const responseHeader = (name: string) => response.headers.get(name) ?? undefined;
  const source = response.body;
  if (source === null) {
    handle.end({ statusCode, responseBodySize: 0, responseHeader });
    return response;
  }
  const reader = source.getReader();
  let bytes = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          handle.end({ statusCode, responseBodySize: bytes, responseHeader });
          return;
        }
        bytes += value.byteLength;
        controller.enqueue(value);
      } catch (error) {
        handle.end({ statusCode, error, aborted: true, responseBodySize: bytes, responseHeader });
        controller.error(error);
      }
    },
    cancel(reason) {
      handle.end({ statusCode, aborted: true, responseBodySize: bytes, responseHeader });
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
