import { type Context, context, createContextKey } from '@opentelemetry/api';
import type { RequestHandle } from './types.js';

/** Where a request's handle sits in the context its handlers run in. */
export const REQUEST_HANDLE_KEY = createContextKey('@otel-http/core request handle');

/**
 * Reports an error to the request being handled in `ctx` (default: the active context), for code
 * that handles an error itself and answers — an error middleware that turns it into a 500 — so
 * that `error.type` names the error's class and the span gets its `exception` event, as when the
 * error reaches the adapter. Whether it fails the request is still decided by the status code the
 * client receives. Returns `false` outside an instrumented request.
 */
export function recordRequestError(error: unknown, ctx: Context = context.active()): boolean {
  const handle = ctx.getValue(REQUEST_HANDLE_KEY) as RequestHandle | undefined;
  if (handle === undefined) return false;
  handle.recordError(error);
  return true;
}
