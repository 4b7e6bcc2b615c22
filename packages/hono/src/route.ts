/** One entry of Hono's match result, as `matchedRoutes(c)` from `hono/route` lists it. */
export interface MatchedRoute {
  /** `GET`, `POST`, …; `ALL` for `app.use()` and `app.all()`. */
  readonly method: string;
  /** The full template, `basePath` and `app.route()` prefixes included. */
  readonly path: string;
}

/**
 * Hono records `app.use()` middleware as method `ALL`, usually on a wildcard (`/*`, `/api/*`).
 * Such an entry is never taken as the route: it would name every request after the middleware.
 * `app.all('/graphql', h)` keeps its template because it ends in no wildcard.
 */
const isMiddleware = (route: MatchedRoute): boolean =>
  route.method === 'ALL' && route.path.endsWith('*');

/**
 * The template of the handler Hono routed the request to, or `undefined` when only middleware
 * matched (the request falls through to the not-found handler).
 *
 * Hono matches every route up front and dispatches them in order; `c.req.routeIndex` is the deepest
 * one reached so far. The answer is the deepest handler that ran, else — when a middleware
 * answered first (an auth check) or nothing ran yet — the first handler still ahead in the chain.
 * Entries up to `ownIndex` (the instrumentation middleware and anything before it) never count.
 *
 * @param routes - The request's matched routes in dispatch order.
 * @param ownIndex - The position of the instrumentation middleware in `routes`.
 * @param reachedIndex - The deepest position dispatched so far (`c.req.routeIndex`).
 */
export function handlerRoute(
  routes: readonly MatchedRoute[],
  ownIndex: number,
  reachedIndex: number,
): string | undefined {
  const reached = Math.min(Math.max(reachedIndex, ownIndex), routes.length - 1);
  for (let i = reached; i > ownIndex; i--) {
    const route = routes[i];
    if (route !== undefined && !isMiddleware(route)) return route.path;
  }
  for (let i = reached + 1; i < routes.length; i++) {
    const route = routes[i];
    if (route !== undefined && !isMiddleware(route)) return route.path;
  }
  return undefined;
}
