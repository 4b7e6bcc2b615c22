/** One layer of `@koa/router` as it appears in `ctx.matched`: a route or a router-level middleware. */
export interface RouterLayerLike {
  /** The full template, every prefix included (a `RegExp` for routes declared with one). */
  readonly path: unknown;
  /** The methods of a route; empty for a middleware added with `router.use()`. */
  readonly methods: readonly string[];
}

/** The fields `@koa/router` leaves on the Koa context while it dispatches a request. */
export interface RouterReport {
  /** The request method, as Koa exposes it. */
  readonly method: string;
  /** The path of the layer the router ran last (route or router-level middleware). */
  readonly _matchedRoute?: unknown;
  /** Every layer whose path matched, across all routers the request went through. */
  readonly matched?: readonly RouterLayerLike[] | undefined;
}

const isRouteTemplate = (layer: RouterLayerLike): layer is RouterLayerLike & { path: string } =>
  layer.methods.length > 0 && typeof layer.path === 'string';

/**
 * The route template `@koa/router` matched for this request, mount prefixes included
 * (`/api/v1/items/:itemId`), or `undefined` when no route matched.
 *
 * The router writes `ctx._matchedRoute` before each layer it runs and never clears it, so it names
 * the route whose handler ran, also after an error unwound the chain. A router-level middleware
 * (`router.use(fn)`) overwrites it with its own path pattern, though (`/api/v1(?:\/|$)`); then the
 * answer is the route the router selected at match time: the last route layer that allows the
 * method. Routes declared with a regular expression have no template and give `undefined`.
 */
export function routeFromRouter(report: RouterReport): string | undefined {
  const routes = report.matched?.filter(isRouteTemplate);
  if (!routes || routes.length === 0) return undefined;
  const current = report._matchedRoute;
  if (typeof current === 'string' && routes.some((route) => route.path === current)) {
    return current;
  }
  const method = report.method.toUpperCase();
  return routes.findLast((route) => route.methods.includes(method))?.path;
}
