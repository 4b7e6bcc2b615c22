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

/** Reads the routes Hono matched for a request, in dispatch order. */
export type RoutesReader = (c: { readonly req: object }) => readonly MatchedRoute[] | undefined;

const isRoutes = (value: unknown): value is readonly MatchedRoute[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every(
    (route: Partial<MatchedRoute> | null) =>
      typeof route?.method === 'string' && typeof route.path === 'string',
  );

/** `hono/route`'s mapping of a raw match result (`[[[handler, route], params], …], …]`). */
const fromMatchResult = (result: unknown): readonly MatchedRoute[] | undefined =>
  Array.isArray(result) && Array.isArray(result[0])
    ? (result[0] as Array<[[unknown, MatchedRoute]]>).map(([[, route]]) => route)
    : undefined;

const attempt = <T>(run: () => T): T | undefined => {
  try {
    return run();
  } catch {
    return undefined;
  }
};

/**
 * A reader that works for `c`'s copy of Hono, tried on `c` itself; `undefined` when none does.
 *
 * `matchedRoutes` of `hono/route` reads a symbol private to the copy of Hono it comes from. When the
 * application's copy is another one (it required Hono's CommonJS build while this package loaded
 * the ES module one, two Hono versions in one tree, a bundler's copy), that symbol is missing from
 * its requests. The application's own request class then still has the same getter under its own
 * symbol, and, up to Hono 4, the public `c.req.matchedRoutes`: read from the application's objects,
 * both work whichever copy created them.
 *
 * @param c - A context of the application, inside the instrumentation middleware.
 * @param ownHelper - `matchedRoutes` of the `hono/route` this package loaded.
 */
export function routesReaderFor(
  c: { readonly req: object },
  ownHelper: RoutesReader,
): RoutesReader | undefined {
  if (isRoutes(attempt(() => ownHelper(c)))) return ownHelper;
  const prototype: object | null = Object.getPrototypeOf(c.req);
  if (prototype !== null) {
    for (const key of Object.getOwnPropertySymbols(prototype)) {
      if (typeof Object.getOwnPropertyDescriptor(prototype, key)?.get !== 'function') continue;
      const read: RoutesReader = ({ req }) =>
        fromMatchResult((req as Record<symbol, unknown>)[key]);
      if (isRoutes(attempt(() => read(c)))) return read;
    }
  }
  const deprecated: RoutesReader = ({ req }) =>
    (req as { matchedRoutes?: MatchedRoute[] }).matchedRoutes;
  if (isRoutes(attempt(() => deprecated(c)))) return deprecated;
  return undefined;
}
