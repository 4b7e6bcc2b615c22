import type { RequestHandle } from '@otel-http/core';

/** A parameterised mount the request entered: its concrete `req.baseUrl` and its template. */
export interface Mount {
  readonly url: string;
  readonly template: string;
}

/** What the adapter keeps on an instrumented request, under {@link kState}. */
export interface RequestState {
  readonly handle: RequestHandle;
  /** The last error reported, so that a rethrown error is recorded once. */
  lastError: unknown;
  /** The value of `req.route`, which the adapter's accessor stores here. */
  route: unknown;
  /** The parameterised mounts entered so far, outermost first; `undefined` while there is none. */
  mounts: Mount[] | undefined;
  /** The application whose router the middleware runs in. */
  readonly app: unknown;
}

/**
 * The request's state is an own property under a symbol: one more property of a fixed shape on
 * every request. Express's request objects stay as fast as without the middleware, which a
 * `WeakMap` or per-request accessors would not allow.
 */
export const kState: unique symbol = Symbol('otel-http.express.request');

export type InstrumentedRequest = object & { [kState]?: RequestState };

export function stateOf(req: unknown): RequestState | undefined {
  return typeof req === 'object' && req !== null ? (req as InstrumentedRequest)[kState] : undefined;
}
