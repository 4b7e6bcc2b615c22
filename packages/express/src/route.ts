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
 * The mount prefix is built from the paths the mount layers were declared with (`/orgs/:orgId`),
 * never from the request's text: Express matches mount paths case-insensitively by default, so
 * `req.baseUrl` (`/Orgs/42`) would let clients choose the label. Every mount layer in the
 * application's router stack is found once and its handler wrapped: entering the mount records
 * the request's concrete prefix (to tell when it has left) and the mount's declared template.
 * This file watches the live router objects; the template arithmetic is in `template.ts`.
 */

import { IncomingMessage } from 'node:http';
import { reportRouteErrors } from './errors.js';
import { logger } from './logger.js';
import { type Mount, type RequestState, stateOf } from './state.js';
import {
  type DeclaredLayer,
  declaredMountPath,
  isWithin,
  joinRoute,
  mountTemplate,
} from './template.js';

/** A route object as Express's router creates it (`router.route(path)`). */
export interface MatchedRoute {
  readonly path: unknown;
  readonly stack?: unknown;
}

interface Layer extends DeclaredLayer {
  handle?: unknown;
  route?: unknown;
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
    logger.warn('the request has no Express request prototype; routes are not captured');
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
  [kRoute]?: unknown;
  baseUrl?: unknown;
  params?: unknown;
  app?: unknown;
};

function getRoute(this: RequestLike): unknown {
  const state = stateOf(this);
  return state === undefined ? this[kRoute] : state.route;
}

function setRoute(this: RequestLike, value: unknown): void {
  const state = stateOf(this);
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
    logger.error('could not capture the matched route', error);
  }
}

function routeMatched(req: RequestLike, state: RequestState, route: MatchedRoute): void {
  const baseUrl = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  // Inside a sub-app, `req.app` is the sub-app: its mounts are learnt now, for the next requests.
  if (req.app !== state.app) watchApp(req.app);
  // Parameters are read only for a route inside a mount: one property less to look up.
  const prefix = baseUrl === '' ? '' : mountTemplate(state.mounts, baseUrl, req.params);
  state.handle.setRoute(joinRoute(prefix, route.path));
  wrapHandlersOnMatch(route);
}

/**
 * Wraps the matched route's handlers (once) so that their errors are reported: Express has no
 * hook that sees a handler's error before the application's error middleware does.
 */
function wrapHandlersOnMatch(route: MatchedRoute): void {
  reportRouteErrors(route);
}

/**
 * Finds the mounts in `app`'s router (and the routers and sub-apps mounted in it),
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
      const template = declaredMountPath(layer);
      if (template !== undefined && template !== '') layer.handle = enteringMount(handle, template);
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

/** Wraps a mount's handler so that entering it records the mount on instrumented requests. */
function enteringMount(fn: Handler, template: string): Handler {
  const wrapped = function (this: unknown, req: RequestLike, res: unknown, next: unknown) {
    const state = stateOf(req);
    let mount: Mount | undefined;
    if (state !== undefined) {
      try {
        mount = enterMount(state, req, template);
        const stack = (fn as { stack?: unknown }).stack;
        if (stack !== undefined) watchStack(stack);
      } catch (error) {
        logger.error('could not follow a mount path', error);
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

function enterMount(state: RequestState, req: RequestLike, template: string): Mount | undefined {
  const url = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  if (state.mounts === undefined) state.mounts = [];
  const mounts = state.mounts;
  // Mounts the request has left since (a sibling, or a router that passed it on) are dropped.
  while (mounts.length > 0 && !isWithin(url, (mounts[mounts.length - 1] as Mount).url)) {
    mounts.pop();
  }
  const parent = mounts[mounts.length - 1];
  if (url === (parent?.url ?? '')) return undefined;
  const mount = { url, template: (parent?.template ?? '') + template };
  mounts.push(mount);
  return mount;
}
