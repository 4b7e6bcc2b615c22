import type { RequestHandle } from '@otel-http/core';

/**
 * Reports the errors of route handlers to the request's handle without changing what Express
 * does with them. Express has no hook that sees a handler's error before the application's own
 * error middleware handles it, so each handler of a matched route is wrapped once (the first time
 * the route matches): a throw, a rejected promise or `next(err)` is reported with
 * `handle.recordError` and then passed on unchanged — rethrown, re-rejected, or handed to the
 * original `next`. The wrapper keeps the handler's arity (Express tells error handlers by it) and
 * name.
 */

/** The handle of each instrumented request in flight, for the shared handler wrappers. */
const requests = new WeakMap<object, { handle: RequestHandle; lastError: unknown }>();

const REPORTS_ERRORS = Symbol('otel-http.express.reportsErrors');

type Handler = ((...args: unknown[]) => unknown) & { [REPORTS_ERRORS]?: true };

/** Makes the route handlers report the errors of `req` to `handle`. */
export function trackRequest(req: object, handle: RequestHandle): void {
  requests.set(req, { handle, lastError: undefined });
}

/** Whether `req` is already instrumented (the middleware was registered twice). */
export function isTracked(req: object): boolean {
  return requests.has(req);
}

/** Wraps, once, every handler of a matched route so that it reports errors. */
export function reportRouteErrors(route: { readonly stack?: unknown }): void {
  if (!Array.isArray(route.stack)) return;
  for (const layer of route.stack as Array<{ handle?: unknown }>) {
    const fn = layer?.handle as Handler | undefined;
    if (typeof fn === 'function' && fn[REPORTS_ERRORS] !== true && fn.length <= 4) {
      layer.handle = reportingErrors(fn);
    }
  }
}

function reportingErrors(fn: Handler): Handler {
  // Express calls `(req, res, next)`, or `(err, req, res, next)` for a 4-argument handler.
  const offset = fn.length === 4 ? 1 : 0;
  const wrapped: Handler = function (this: unknown, ...args: unknown[]) {
    const state = requests.get(args[offset] as object);
    if (state === undefined) return fn.apply(this, args);
    const next = args[offset + 2];
    if (typeof next === 'function') {
      args[offset + 2] = function (this: unknown, ...nextArgs: unknown[]) {
        report(state, nextArgs[0]);
        return next.apply(this, nextArgs);
      };
    }
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      report(state, error);
      throw error;
    }
    if (isThenable(result)) {
      // Express 5 handles the returned promise (and Express 4 ignores it): hand back one that
      // settles the same way, after the rejection was reported.
      return result.then(undefined, (error: unknown) => {
        report(state, error);
        throw error;
      });
    }
    return result;
  };
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  wrapped[REPORTS_ERRORS] = true;
  return wrapped;
}

function report(state: { handle: RequestHandle; lastError: unknown }, error: unknown): void {
  // `'route'` and `'router'` are Express's routing signals, not errors.
  if (!error || error === 'route' || error === 'router') return;
  if (error === state.lastError || state.handle.ended) return;
  state.lastError = error;
  state.handle.recordError(error);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
