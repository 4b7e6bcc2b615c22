import { type Context, context, createContextKey, type Span, trace } from '@opentelemetry/api';
import type { RequestHandle } from './types.js';

/** Where a request's handle sits in the context its handlers run in. */
export const REQUEST_HANDLE_KEY = createContextKey('@otel-http/core request handle');

/**
 * The key under which the API keeps the active span (`trace.setSpan`). Context keys are
 * `Symbol.for(description)`, so this is the same symbol in every copy of the API.
 */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');

/**
 * The context a request's handlers run in: the parent context plus the server span and the
 * request's handle. Made with `setValue`, it would copy the parent's entries twice for every
 * request (one context for the span, one for the handle). This one answers for its own two values
 * and delegates every other key to the parent; it builds an ordinary context, once, only when code
 * derives one from it (a child span, a baggage entry).
 */
export class RequestContext implements Context {
  private readonly parent: Context;
  /** The server span; `undefined` when the request has none of its own (metrics only). */
  private readonly span: Span | undefined;
  private readonly handle: RequestHandle;
  private derived: Context | undefined;

  constructor(parent: Context, span: Span | undefined, handle: RequestHandle) {
    this.parent = parent;
    this.span = span;
    this.handle = handle;
  }

  getValue(key: symbol): unknown {
    if (key === REQUEST_HANDLE_KEY) return this.handle;
    if (key === SPAN_KEY && this.span !== undefined) return this.span;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.materialized().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.materialized().deleteValue(key);
  }

  private materialized(): Context {
    if (this.derived === undefined) {
      const withSpan =
        this.span === undefined ? this.parent : trace.setSpan(this.parent, this.span);
      this.derived = withSpan.setValue(REQUEST_HANDLE_KEY, this.handle);
    }
    return this.derived;
  }
}

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
