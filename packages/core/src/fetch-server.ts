/**
 * `@otel-http/core/fetch`: reading a Fetch `Request` and ending a request handle with the
 * `Response` — everything a Fetch-based adapter (Hono on Bun, Deno, Workers, `app.request()`)
 * needs for start and end, the peer of `@otel-http/core/node`.
 */
import { context, type Span, trace } from '@opentelemetry/api';
import { logger } from './diag.js';
import { splitTarget } from './http.js';
import type { RequestHandle, RequestInfo, ServerInstrumentation } from './types.js';

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

/**
 * Starts the telemetry of a Fetch request: reads it and starts the handle, and ends the handle as
 * aborted, with no status, if the request's signal aborts before a response exists (Bun, Deno and
 * Workers abort it when the client hangs up, also while the handlers still run). Returns
 * `undefined` for an ignored request. End it with {@link endFetchRequest}.
 */
export function startFetchRequest(
  instrumentation: ServerInstrumentation,
  request: Request,
  connection?: FetchConnectionInfo,
): RequestHandle | undefined {
  const info = new FetchRequestInfo(request, connection ?? {});
  const runtimeSpan = runtimeServerSpan();
  const handle =
    runtimeSpan === undefined
      ? instrumentation.start(info)
      : context.with(
          context.active().setValue(RPC_METADATA_KEY, {
            type: 'http',
            span: runtimeSpan,
            addRequestAttributes: true,
          }),
          () => instrumentation.start(info),
        );
  if (handle === undefined) return undefined;
  const signal = request.signal as AbortSignal | undefined;
  if (signal !== undefined && !signal.aborted) {
    // After a complete response the handle has ended already: this does nothing then. A
    // WebSocket handshake's signal aborts when the runtime takes the connection over (Deno's
    // `upgradeWebSocket`), which is no hang-up: it ends with the response the handler returns.
    const onAbort = () => {
      if (!isWebSocketUpgrade(request)) handle.end({ aborted: true });
    };
    signal.addEventListener('abort', onAbort, { once: true });
  }
  return handle;
}

function isWebSocketUpgrade(request: Request): boolean {
  const upgrade = request.headers.get('upgrade');
  return upgrade !== null && upgrade.toLowerCase() === 'websocket';
}

/** Where instrumentation-http leaves its span; core enriches the span it finds there. */
const RPC_METADATA_KEY = Symbol.for('OpenTelemetry SDK Context Key RPC_METADATA');

/**
 * The SERVER span Deno's built-in OpenTelemetry (`OTEL_DENO=true`) starts for every `Deno.serve`
 * request and makes active for the handler, when Deno's provider is the registered one. Like
 * instrumentation-http's span on Node, it is enriched (route, name, request attributes) rather
 * than joined by a second SERVER span; Deno also records the duration metric itself.
 */
function runtimeServerSpan(): Span | undefined {
  const deno = (globalThis as { Deno?: { telemetry?: { tracerProvider?: unknown } } }).Deno;
  const provider = deno?.telemetry?.tracerProvider;
  if (provider === undefined || trace.getTracerProvider() !== provider) return undefined;
  const span = trace.getActiveSpan();
  return span?.isRecording() ? span : undefined;
}

/** Options of {@link endFetchRequest}. */
export interface EndFetchRequestOptions {
  /** The request method: a `HEAD` response is sent without the body the GET handler made. */
  method?: string;
  /**
   * Installs a copy of the response in the framework and returns the response it will send, when
   * the trace response header must go on a copy (the original's headers are immutable, as for
   * `Response.redirect()` or a response passed through from `fetch()`). Default: the copy itself.
   */
  replace?: (copy: Response) => Response;
}

/**
 * Ends `handle` with the `Response` the framework sends, and returns the response to send in its
 * place: with the trace response header when enabled (appended to `Server-Timing`), without a
 * body for `HEAD`, and with a body that ends the handle at its last chunk or when the client
 * cancels (`aborted`). A body-less response is returned as it was (a 101 upgrade does not survive
 * a copy).
 */
export function endFetchRequest(
  handle: RequestHandle,
  response: Response,
  options: EndFetchRequestOptions = {},
): Response {
  let sent = withTraceResponseHeader(handle, response, options.replace);
  if (options.method === 'HEAD' && sent.body !== null) sent = new Response(null, sent);
  return endOnFetchResponse(handle, sent);
}

/**
 * The response with the handle's trace response header, when enabled (appended to a
 * `Server-Timing` list): the same response when its headers can be changed, else a copy
 * installed through `replace` (see {@link EndFetchRequestOptions.replace}). Part of
 * {@link endFetchRequest}; on its own for a Fetch response that a Node server writes.
 */
export function withTraceResponseHeader(
  handle: RequestHandle,
  response: Response,
  replace?: (copy: Response) => Response,
): Response {
  if (handle.responseHeader === undefined) return response;
  const [name, value] = handle.responseHeader;
  const add = (headers: Headers) =>
    name === 'server-timing' ? headers.append(name, value) : headers.set(name, value);
  try {
    add(response.headers);
    return response;
  } catch {
    // Immutable headers: answer with a copy.
  }
  try {
    const copy = new Response(response.body, response);
    const installed = replace ? replace(copy) : copy;
    add(installed.headers);
    return installed;
  } catch (error) {
    // Some responses cannot be copied (a 101 WebSocket upgrade): leave them as they are.
    logger.warn('the trace response header could not be added', error);
    return response;
  }
}
