import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import { logger } from './logger.js';
import { type MatchedRoute, type RoutesReader, routesReaderFor } from './route.js';

const ownHelper: RoutesReader = (c) => matchedRoutes(c as Context);

let warned = false;

/** Once per process: the route lookup failed, most likely because Hono is loaded twice. */
function warnUnreadable(error?: unknown): void {
  if (warned) return;
  warned = true;
  logger.warn(
    'the routes Hono matched cannot be read from the request, so spans are named ' +
      'without a route. The usual cause is two copies of Hono in one process: the app loads ' +
      "'hono' through require() while @otel-http/hono was loaded with import() (or the reverse), " +
      'or two Hono versions are installed. Load both the same way, or deduplicate hono.',
    ...(error === undefined ? [] : [error]),
  );
}

/**
 * A lookup of the request's matched routes that works whichever copy of Hono built the app, and
 * never throws: `undefined` (and one warning) when the routes cannot be read. The reader is chosen
 * once per request class, so a request costs one prototype comparison more than `matchedRoutes`.
 */
export function createRoutesLookup(): (c: Context) => readonly MatchedRoute[] | undefined {
  let prototype: unknown;
  let reader: RoutesReader | undefined;
  return (c) => {
    try {
      const own: unknown = Object.getPrototypeOf(c.req);
      if (own !== prototype) {
        reader = routesReaderFor(c, ownHelper);
        prototype = own;
        if (reader === undefined) warnUnreadable();
      }
      return reader?.(c);
    } catch (error) {
      warnUnreadable(error);
      return undefined;
    }
  };
}

/**
 * The route when the matched routes could not be read: the template of the deepest route Hono
 * dispatched (`c.req.routePath`), unless it is a wildcard middleware's — or `undefined`.
 */
export function dispatchedRoutePath(c: Context): string | undefined {
  try {
    const path: unknown = (c.req as { routePath?: unknown }).routePath;
    return typeof path === 'string' && path.length > 0 && !path.endsWith('*') ? path : undefined;
  } catch {
    return undefined;
  }
}
