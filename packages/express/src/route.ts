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
  /** Express 4: the parameter keys of the layer's path. */
  keys?: unknown;
  /** Express 4: the layer's path compiled by path-to-regexp 0.1 (the only copy it keeps). */
  regexp?: unknown;
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
  // Inside a sub-app, `req.app` is the sub-app: its mounts are learnt now, for the next requests.
  if (req.app !== state.app) watchApp(req.app);
  const prefix = mountTemplate(state.mounts, baseUrl, req.params);
  state.handle.setRoute(joinRoute(prefix, route.path));
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

/**
 * The path a mount layer was declared with, without its trailing slash: `''` for a layer at the
 * root of its router (`app.use(fn)`), `undefined` when the layer is not one Express made.
 * A mount declared with several paths or a regular expression is reported as declared (its
 * string form), like such a route.
 */
function declaredMountPath(layer: Layer): string | undefined {
  const declared = layer.rawPath ?? declaredPath4(layer);
  if (declared === undefined) return undefined;
  const path = typeof declared === 'string' ? declared : String(declared);
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Express 4: the layer's declared path, read back from its compiled expression. */
function declaredPath4(layer: Layer): string | undefined {
  const regexp = layer.regexp;
  if (!(regexp instanceof RegExp)) return undefined;
  if ((regexp as { fast_slash?: unknown }).fast_slash === true) return '';
  const keys = Array.isArray(layer.keys) ? (layer.keys as Array<{ name?: unknown }>) : [];
  return (
    pathOfExpression(
      regexp.source,
      keys.map((key) => key?.name),
    ) ?? String(regexp)
  );
}

/** How path-to-regexp 0.1 ends the expression of a mount path (not strict, not ending). */
const MOUNT_END = /(?:\\\/\?)?(?:\(\?=\\\/\|\$\)|\(\?:\\\/\|\$\)|\$)$/;
/** The part of a parameter's group that stands for `*` after its name (`:rest*`). */
const REPEAT = /^\(\(\?:\[[^\]]*\]\.\+\?\)\?\)$/;

/**
 * Reads a path back from the expression path-to-regexp 0.1 compiled it to (Express 4 keeps no
 * other copy of a mount's path): `^\/orgs(?:\/([^/]+?))\/?(?=\/|$)` with the key `orgId` →
 * `/orgs/:orgId`. Literal text comes back as it was declared, whatever case a request used.
 * `undefined` when the expression is not one it makes of a string path.
 */
export function pathOfExpression(source: string, keys: readonly unknown[]): string | undefined {
  if (!source.startsWith('^')) return undefined;
  const end = MOUNT_END.exec(source);
  const body = source.slice(1, end === null ? source.length : end.index);
  let out = '';
  let key = 0;
  const nextKey = () => {
    const name = keys[key++];
    return typeof name === 'string' || typeof name === 'number' ? String(name) : undefined;
  };
  for (let i = 0; i < body.length; ) {
    const char = body[i] as string;
    if (char === '\\') {
      out += body[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (char !== '(') {
      if ('[]{}|+*?.^$)'.includes(char)) return undefined;
      out += char;
      i++;
      continue;
    }
    const close = closingParenthesis(body, i);
    if (close < 0) return undefined;
    const group = body.slice(i, close + 1);
    const optional = body[close + 1] === '?' ? '?' : '';
    i = close + 1 + optional.length;
    if (group === '(.*)') {
      if (nextKey() === undefined) return undefined;
      out += `*${optional}`;
      continue;
    }
    if (!group.startsWith('(?:')) {
      // An unnamed capturing group of the declared path, e.g. `/file(s)?`.
      if (nextKey() === undefined) return undefined;
      out += group + optional;
      continue;
    }
    const inner = group.slice(3, -1);
    const lead = inner.startsWith('\\.') || inner.startsWith('\\/') ? inner.slice(0, 2) : '';
    const rest = inner.slice(lead.length);
    if (!rest.startsWith('(')) {
      // `/(…)`: a non-capturing group of the declared path.
      out += `(${inner})${optional}`;
      continue;
    }
    const captureEnd = closingParenthesis(rest, 0);
    if (captureEnd < 0) return undefined;
    const capture = rest.slice(0, captureEnd + 1);
    const repeat = rest.slice(captureEnd + 1);
    const name = nextKey();
    if (name === undefined) return undefined;
    out += `${lead.slice(1)}:${name}${isDefaultCapture(capture) ? '' : capture}`;
    if (repeat !== '') {
      if (!REPEAT.test(repeat) || nextKey() === undefined) return undefined;
      out += '*';
    }
    out += optional;
  }
  return key === keys.length ? out : undefined;
}

/** The captures path-to-regexp 0.1 writes for a parameter declared without its own pattern. */
function isDefaultCapture(capture: string): boolean {
  return capture === '([^/]+?)' || capture === '([^/\\.]+?)' || capture.startsWith('((?:(?!\\/|');
}

/** The index of the `)` that closes the group opening at `open`, or -1. */
function closingParenthesis(source: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') i++;
    else if (inClass) inClass = char !== ']';
    else if (char === '[') inClass = true;
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return i;
  }
  return -1;
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

/**
 * The template of `baseUrl`: the deepest mount it is within, then the rest. A rest is left only
 * by mounts not wrapped yet (those of a sub-app, on the first request that reaches them): its
 * parameter values are replaced by their names.
 */
export function mountTemplate(
  mounts: readonly Mount[] | undefined,
  baseUrl: string,
  params?: unknown,
): string {
  if (baseUrl === '') return '';
  if (mounts !== undefined) {
    for (let i = mounts.length - 1; i >= 0; i--) {
      const mount = mounts[i] as Mount;
      if (!isWithin(baseUrl, mount.url)) continue;
      if (baseUrl.length === mount.url.length) return mount.template;
      return mount.template + templateOf(baseUrl.slice(mount.url.length), params);
    }
  }
  return templateOf(baseUrl, params);
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
