/**
 * Where a server span's parent comes from: the request's headers, read through the propagator,
 * onto the context the request was dispatched in without its span and baggage. Also what an
 * untrusted caller gets instead (a link).
 */
import {
  type Context,
  type Link,
  propagation,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { boundedBaggage } from './baggage.js';
import type { RequestRules } from './config.js';
import { logger } from './diag.js';
import type { RequestInfo } from './types.js';

/**
 * How propagators read a request. `baggage` is bounded before any propagator parses it (see
 * `boundedBaggage`): the SDK's parser tries every member, valid or not.
 */
const requestInfoGetter: TextMapGetter<RequestInfo> = {
  keys: (info) => info.headerNames?.() ?? [],
  get: (info, key) => {
    const name = key.toLowerCase();
    return name === 'baggage' ? boundedBaggage(info.header(name)) : info.header(name);
  },
};

/** For a caller whose context is not trusted: only what a link needs, no baggage parsed. */
const untrustedRequestInfoGetter: TextMapGetter<RequestInfo> = {
  keys: (info) => (info.headerNames?.() ?? []).filter((name) => name !== 'baggage'),
  get: (info, key) => {
    const name = key.toLowerCase();
    return name === 'baggage' ? undefined : info.header(name);
  },
};

/**
 * The parent context to start the server span in, and a link when the caller is not trusted.
 * The parent comes from the request's headers only: a span or baggage that was active where
 * the server was started or dispatched (a traced startup) is not the caller's, so it is left out
 * (other context entries stay). A throwing propagator is contained: the request starts a trace.
 */
export function parentOf(
  rules: Pick<RequestRules, 'propagator' | 'trusts'>,
  info: RequestInfo,
  active: Context,
): { parent: Context; link: Link | undefined } {
  let base = active;
  if (trace.getSpan(base) !== undefined) base = trace.deleteSpan(base);
  if (propagation.getBaggage(base) !== undefined) base = propagation.deleteBaggage(base);
  const trusted = rules.trusts === undefined || rules.trusts(info);
  // Not through `callSafely`: this runs for every request, and a closure per call adds up.
  let extracted = base;
  try {
    const getter = trusted ? requestInfoGetter : untrustedRequestInfoGetter;
    extracted = rules.propagator
      ? rules.propagator.extract(base, info, getter)
      : propagation.extract(base, info, getter);
  } catch (error) {
    logger.error('the propagator threw; the request continues without it', error);
  }
  if (trusted || extracted === base) return { parent: extracted, link: undefined };
  const remote = trace.getSpanContext(extracted);
  const link = remote && trace.isSpanContextValid(remote) ? { context: remote } : undefined;
  return { parent: base, link };
}
