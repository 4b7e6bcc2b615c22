/**
 * Captures the matched route template at the moment Express's router matches it, with the mount
 * path of every router and sub-app it passed through.
 *
 * Express (4 and 5) assigns `req.route` when a route matches. The adapter defines `route` once as
 * an accessor on the application's request prototype (`app.request`, which Express makes the
 * prototype of every request it handles, and which mounted sub-apps inherit from), so it sees the
 * assignment without a per-request property definition. (Defining accessors on each request
 * gives every request its own hidden class and makes all of Express's property accesses slow.)
 *
 * The mount prefix is `req.baseUrl`, the *matched* prefix (`/orgs/42`). Mounts whose path has
 * parameters are found once in the application's router stack and their layer's handler is
 * wrapped: entering such a mount records its concrete prefix and its template (`/orgs/:orgId`),
 * rebuilt from the parameters Express matched for that mount, on the request.
 */

import { IncomingMessage } from 'node:http';
import { diag } from '@opentelemetry/api';
import { reportRouteErrors } from './errors.js';
import { kState, type Mount, type RequestState, stateOf } from './state.js';

/** A route object as Express's router creates it (`router.route(path)`). */
export interface MatchedRoute {
  readonly path: unknown;
  readonly stack?: unknown;
}

interface Layer {
  handle?: unknown;
  route?: unknown;
  /** Express 4: the parameter names of the layer's path. */
  keys?: unknown;
  /** Express 5 (router 2): the path the layer was declared with. */
  rawPath?: unknown;
}

type Handler = ((...args: never[]) => unknown) & { [kOriginal]?: Handler };

/** `req.route` of a request the middleware did not instrument (ignored, or not passed through). */
const kRoute = Symbol('otel-http.express.route');
/** Marks a mount wrapper, holding the handler it wraps. */
const kOriginal = Symbol('otel-http.express.mount');

const watchedPrototypes = new WeakSet<object>();
/** Each router stack already walked, with its length then: a longer stack is walked again. */
const walkedStacks = new WeakMap<unknown[], number>();

/**
 * Makes `req.route` observable on every request that has `prototype` in its chain. Once per
 * prototype; a prototype that defines `route` itself is left alone.
 */
export function watchRouteAssignments(prototype: unknown): void {
  if (typeof prototype !== 'object' || prototype === null) return;
  if (watchedPrototypes.has(prototype)) return;
  watchedPrototypes.add(prototype);
  if (prototype === Object.prototype || prototype === IncomingMessage.prototype) {
    // Not a request Express prepared (a bare router, a test double): Node's own prototype is not
    // ours to change.
    diag.warn(
      '@otel-http/express: the request has no Express request prototype; routes are not captured',
    );
    return;
  }
  if (Object.getOwnPropertyDescriptor(prototype, 'route') !== undefined) return;
  Object.defineProperty(prototype, 'route', {
    configurable: true,
    enumerable: false,
    get: getRoute,
    set: setRoute,
  });
}

type RequestLike = {
  [kState]?: RequestState;
  [kRoute]?: unknown;
  baseUrl?: unknown;
  params?: unknown;
  app?: unknown;
};

function getRoute(this: RequestLike): unknown {
  const state = this[kState];
  return state === undefined ? this[kRoute] : state.route;
}

function setRoute(this: RequestLike, value: unknown): void {
  const state = this[kState];
  if (state === undefined) {
    this[kRoute] = value;
    return;
  }
  // Express 5 assigns the same route twice (router, then the route's dispatch).
  if (value === state.route) return;
  state.route = value;
  if (typeof value !== 'object' || value === null) return;
  try {
    routeMatched(this, state, value as MatchedRoute);
  } catch (error) {
    diag.error('@otel-http/express: could not capture the matched route', error);
  }
}

function routeMatched(req: RequestLike, state: RequestState, route: MatchedRoute): void {
  const baseUrl = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  // Inside a sub-app, `req.app` is the sub-app: its parameterised mounts are learnt now, and for
  // this one request its prefix is rebuilt from the parameters that are left.
  const firstVisit = req.app !== state.app && watchApp(req.app);
  let prefix = mountTemplate(state.mounts, baseUrl);
  if (firstVisit && prefix === baseUrl) prefix = templateOf(baseUrl, req.params);
  state.handle.setRoute(joinRoute(prefix, route.path));
  reportRouteErrors(route);
}

/**
 * Finds the parameterised mounts in `app`'s router (and the routers and sub-apps mounted in it),
 * wraps their handlers once, and watches `route` on the request prototypes of sub-apps mounted
 * with `router.use(subApp)`. Cheap when nothing changed: one length comparison. Returns whether
 * the router was walked.
 */
export function watchApp(app: unknown): boolean {
  if (typeof app !== 'function' && (typeof app !== 'object' || app === null)) return false;
  // Express 4 keeps its router in `_router` (its `app.router` getter throws); Express 5 in `router`.
  const own = app as { _router?: { stack?: unknown }; router?: { stack?: unknown } };
  const router = own._router ?? own.router;
  return watchStack(router?.stack);
}

function watchStack(stack: unknown): boolean {
  if (!Array.isArray(stack) || walkedStacks.get(stack) === stack.length) return false;
  walkedStacks.set(stack, stack.length);
  for (const layer of stack as Layer[]) {
    if (typeof layer !== 'object' || layer === null || layer.route !== undefined) continue;
    const handle = layer.handle as Handler | undefined;
    // Four arguments: an error handler, which no route is matched through.
    if (typeof handle !== 'function' || handle.length > 3) continue;
    const inner = handle[kOriginal] ?? handle;
    if (isApp(inner)) {
      watchRouteAssignments(inner.request);
      watchApp(inner);
    } else {
      watchStack((inner as { stack?: unknown }).stack);
    }
    if (handle[kOriginal] === undefined) {
      const names = parameterNames(layer);
      if (names !== undefined) layer.handle = enteringMount(handle, names);
    }
  }
  return true;
}

function isApp(fn: unknown): fn is Handler & { request: unknown } {
  const app = fn as { handle?: unknown; set?: unknown; request?: unknown };
  return (
    typeof app.handle === 'function' &&
    typeof app.set === 'function' &&
    typeof app.request === 'object'
  );
}

/**
 * The parameter names of a mount layer's path; `undefined` for a path without parameters (its
 * matched prefix is its template), `null` when they cannot be known (any parameter may be one).
 */
function parameterNames(layer: Layer): readonly string[] | null | undefined {
  if (Array.isArray(layer.keys)) {
    const names = (layer.keys as Array<{ name?: unknown }>).map((key) => String(key?.name));
    return names.length === 0 ? undefined : names;
  }
  if (typeof layer.rawPath === 'string') {
    const names = [...layer.rawPath.matchAll(PATH_PARAMETER)].map((m) => m[1] ?? m[2] ?? '');
    return names.length === 0 ? undefined : names;
  }
  return layer.rawPath === undefined ? undefined : null;
}

/** `:name`, `*name`, `:"quoted name"` in a path-to-regexp 8 path. */
const PATH_PARAMETER = /[:*](?:"((?:[^"\\]|\\.)*)"|([$_\p{ID_Start}][$\p{ID_Continue}]*))/gu;

/** Wraps a mount's handler so that entering it records the mount on instrumented requests. */
function enteringMount(fn: Handler, names: readonly string[] | null): Handler {
  const wrapped = function (this: unknown, req: RequestLike, res: unknown, next: unknown) {
    const state = stateOf(req);
    let mount: Mount | undefined;
    if (state !== undefined) {
      try {
        mount = enterMount(state, req, names);
        watchStack((fn as { stack?: unknown }).stack);
      } catch (error) {
        diag.error('@otel-http/express: could not follow a mount path', error);
      }
    }
    const call = fn as (...args: unknown[]) => unknown;
    if (mount === undefined || typeof next !== 'function') return call.call(this, req, res, next);
    // The mount passes the request on: it has left the mount.
    const entered = mount;
    return call.call(this, req, res, function (this: unknown, ...args: unknown[]) {
      const mounts = (state as RequestState).mounts;
      const at = mounts === undefined ? -1 : mounts.lastIndexOf(entered);
      if (at >= 0) mounts?.splice(at);
      return (next as (...args: unknown[]) => unknown).apply(this, args);
    });
  } as unknown as Handler;
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  Object.defineProperty(wrapped, kOriginal, { value: fn });
  return wrapped;
}

function enterMount(
  state: RequestState,
  req: RequestLike,
  names: readonly string[] | null,
): Mount | undefined {
  const url = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  if (state.mounts === undefined) state.mounts = [];
  const mounts = state.mounts;
  // Mounts the request has left since (a sibling, or a router that passed it on) are dropped.
  while (mounts.length > 0 && !isWithin(url, (mounts[mounts.length - 1] as Mount).url)) {
    mounts.pop();
  }
  const parent = mounts[mounts.length - 1];
  const parentUrl = parent?.url ?? '';
  const parentTemplate = parent?.template ?? '';
  if (url === parentUrl) return undefined;
  const params = names === null ? req.params : pick(req.params, names);
  const mount = { url, template: parentTemplate + templateOf(url.slice(parentUrl.length), params) };
  mounts.push(mount);
  return mount;
}

function pick(params: unknown, names: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  if (typeof params !== 'object' || params === null) return picked;
  for (const name of names) {
    if (Object.hasOwn(params, name)) picked[name] = (params as Record<string, unknown>)[name];
  }
  return picked;
}

/** The template of `baseUrl`: the deepest parameterised mount it is within, then literal text. */
export function mountTemplate(mounts: readonly Mount[] | undefined, baseUrl: string): string {
  if (mounts === undefined) return baseUrl;
  for (let i = mounts.length - 1; i >= 0; i--) {
    const mount = mounts[i] as Mount;
    if (isWithin(baseUrl, mount.url)) return mount.template + baseUrl.slice(mount.url.length);
  }
  return baseUrl;
}

function isWithin(url: string, base: string): boolean {
  return base === '' || url === base || url.startsWith(base.endsWith('/') ? base : `${base}/`);
}

/**
 * Replaces the path segments that are parameter values with `:name` (or `*name` for a wildcard
 * that matched several segments): `/orgs/42` with `{ orgId: '42' }` → `/orgs/:orgId`. Segments
 * that match no parameter are kept as they are (they are the mount's literal text).
 */
export function templateOf(path: string, params: unknown): string {
  const entries =
    typeof params === 'object' && params !== null ? Object.entries(params as object) : [];
  if (entries.length === 0) return path;
  const unused = new Map<string, unknown>(entries);
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment === '') {
      out.push(segment);
      continue;
    }
    const decoded = safeDecode(segment);
    let replaced = false;
    for (const [name, value] of unused) {
      if (value === decoded) {
        out.push(`:${name}`);
        unused.delete(name);
        replaced = true;
        break;
      }
      if (Array.isArray(value) && value.length > 0 && matchesRun(segments, i, value)) {
        out.push(`*${name}`);
        unused.delete(name);
        i += value.length - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.push(segment);
  }
  return out.join('/');
}

function matchesRun(segments: string[], start: number, values: unknown[]): boolean {
  return values.every((value, offset) => {
    const segment = segments[start + offset];
    return segment !== undefined && safeDecode(segment) === value;
  });
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The route template: the mount prefix followed by the route's path. A route declared with an
 * array of paths or a regular expression is reported as declared (its string form): still one
 * value per route, never the request's path.
 */
export function joinRoute(prefix: string, path: unknown): string {
  const own = typeof path === 'string' ? path : String(path);
  if (prefix === '') return own;
  if (own === '/' || own === '') return prefix;
  return prefix.endsWith('/') && own.startsWith('/') ? prefix + own.slice(1) : prefix + own;
}
