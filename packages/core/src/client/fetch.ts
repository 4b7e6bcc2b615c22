import { context } from '@opentelemetry/api';
import { cancelledByCaller, fetchWireMethod } from './attributes.js';
import { createHttpClientInstrumentation, type HttpClientOptions } from './http-client.js';

/** The shape of `fetch`: what {@link instrumentedFetch} wraps and returns. */
export type FetchFunction = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

/**
 * Wraps a `fetch` so that each call makes a CLIENT span (name `{METHOD}`, `http.request.method`,
 * `url.full` with credentials and signature parameters redacted, `server.address`, `server.port`,
 * `http.response.status_code`, `error.type`) and sends the active context in the request headers
 * through the global propagator — so that a service instrumented with an otel-http adapter continues
 * the caller's trace. The span ends when the response headers arrive (or the call fails); a 4xx or
 * 5xx marks it as an error. A call its caller cancelled through its abort signal is not an error:
 * no `error.type`, status UNSET, no exception (a timeout signal's `TimeoutError` is one). The request, the response and any error are passed through unchanged.
 *
 * @param fetchImpl - The fetch to wrap. Default: `globalThis.fetch`, looked up at each call.
 * @param options - Providers, propagator, redaction list, known methods, metric toggle.
 *
 * @example
 * ```ts
 * const fetch = instrumentedFetch();
 * const response = await fetch('http://inventory:8080/items/42');
 * ```
 */
export function instrumentedFetch(
  fetchImpl?: FetchFunction,
  options: HttpClientOptions = {},
): FetchFunction {
  const client = createHttpClientInstrumentation(options);
  return function fetchWithContext(input, init) {
    const send = fetchImpl ?? (globalThis.fetch as FetchFunction);
    const request = typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
    const url = request?.url ?? (input instanceof URL ? input.href : String(input));
    const method = fetchWireMethod(init?.method ?? request?.method ?? 'GET');
    const handle = client.start({ method, url });
    if (handle === undefined) return send(input, init);
    try {
      // `init.headers` replaces the request's own headers in fetch, so start from whichever applies.
      const headers = new Headers(init?.headers ?? request?.headers);
      for (const [name, value] of Object.entries(handle.headers)) headers.set(name, value);
      return context
        .with(handle.context, () => send(input, { ...init, headers }))
        .then(
          (response) => {
            handle.end({ statusCode: response.status });
            return response;
          },
          (error: unknown) => {
            // `init.signal` replaces the request's own signal in fetch, as the headers do.
            const signal = init?.signal ?? request?.signal;
            handle.end(cancelledByCaller(signal) ? { cancelled: true } : { error });
            throw error;
          },
        );
    } catch (error) {
      handle.end({ error });
      return Promise.reject(error);
    }
  };
}

/**
 * `globalThis.fetch` with a CLIENT span and context propagation: `instrumentedFetch()` ready to
 * use. Resolves its providers and settings at the first call.
 */
export const fetchWithTracing: FetchFunction = instrumentedFetch();
