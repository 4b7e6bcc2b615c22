/**
 * Reports the errors of route handlers to the request's handle without changing what Express
 * does with them. Express has no hook that sees a handler's error before the application's own
 * error middleware handles it, so each handler of a matched route is wrapped once (the first time
 * the route matches): a throw, a rejected promise or `next(err)` is reported with
 * `handle.recordError` and then passed on unchanged — rethrown, re-rejected, or handed to the
 * original `next`. The wrapper keeps the handler's arity (Express tells error handlers by it) and
 * name.
 */

import { isThenable } from '@otel-http/core';
import { type RequestState, stateOf } from './state.js';

const REPORTS_ERRORS = Symbol('otel-http.express.reportsErrors');

type Handler = ((...args: unknown[]) => unknown) & { [REPORTS_ERRORS]?: true };
type Next = (...args: unknown[]) => unknown;

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
  const wrapped: Handler =
    fn.length === 4
      ? function (this: unknown, err: unknown, req: unknown, res: unknown, next: unknown) {
          const state = stateOf(req);
          if (state === undefined) return fn.call(this, err, req, res, next);
          return call(state, fn, this, [err, req, res, reportingNext(state, next)]);
        }
      : function (this: unknown, req: unknown, res: unknown, next: unknown) {
          const state = stateOf(req);
          if (state === undefined) return fn.call(this, req, res, next);
          return call(state, fn, this, [req, res, reportingNext(state, next)]);
        };
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  wrapped[REPORTS_ERRORS] = true;
  return wrapped;
}

function reportingNext(state: RequestState, next: unknown): unknown {
  if (typeof next !== 'function') return next;
  return function (this: unknown, ...args: unknown[]) {
    if (args[0]) report(state, args[0]);
    return (next as Next).apply(this, args);
  };
}

function call(state: RequestState, fn: Handler, self: unknown, args: unknown[]): unknown {
  let result: unknown;
  try {
    result = fn.apply(self, args);
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
}

function report(state: RequestState, error: unknown): void {
  // `'route'` and `'router'` are Express's routing signals, not errors.
  if (!error || error === 'route' || error === 'router') return;
  if (error === state.lastError || state.handle.ended) return;
  state.lastError = error;
  state.handle.recordError(error);
}
