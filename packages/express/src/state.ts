import type { RequestHandle } from '@otel-http/core';
import { requestHandleOf } from '@otel-http/core/node';

/** A parameterised mount the request entered: its concrete `req.baseUrl` and its template. */
export interface Mount {
  readonly url: string;
  readonly template: string;
}

/**
 * What the adapter keeps for an instrumented request. It lives on the request's handle
 * (`adapterState`), found again from the request core bound to it: Express's request objects get
 * no property of the adapter's own. On Node 20 and 22 each property added to an Express request
 * costs it a hidden class of its own.
 */
export class RequestState {
  readonly handle: RequestHandle;
  /** The last error reported, so that a rethrown error is recorded once. */
  lastError: unknown = undefined;
  /** The value of `req.route`, which the adapter's accessor stores here. */
  route: unknown = undefined;
  /** The parameterised mounts entered so far, outermost first; `undefined` while there is none. */
  mounts: Mount[] | undefined = undefined;
  /** The application whose router the middleware runs in. */
  readonly app: unknown;

  constructor(handle: RequestHandle, app: unknown) {
    this.handle = handle;
    this.app = app;
  }
}

/** The adapter's state of `req`, if the adapter instruments it. */
export function stateOf(req: unknown): RequestState | undefined {
  if (typeof req !== 'object' || req === null) return undefined;
  const state = requestHandleOf(req)?.adapterState;
  return state instanceof RequestState ? state : undefined;
}
