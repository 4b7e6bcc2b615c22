/**
 * Captures the matched route template at the moment Express's router matches it, with the mount
 * path of every router and sub-app it passed through.
 *
 * Express (4 and 5) does two observable things on the request while routing: it assigns
 * `req.baseUrl` when it enters a mounted router (and restores it when it leaves), and it assigns
 * `req.route` when a route matches. Accessor properties on the request instance see both
 * assignments without touching Express itself. `req.baseUrl` is the *matched* prefix
 * (`/orgs/42`), so the mount template (`/orgs/:orgId`) is rebuilt from the parameters the router
 * matched for that mount, which are in `req.params` at that moment.
 */

/** A route object as Express's router creates it (`router.route(path)`). */
export interface MatchedRoute {
  readonly path: unknown;
  readonly stack?: unknown;
}

interface Mount {
  /** The concrete `req.baseUrl` of this mount. */
  readonly url: string;
  /** The same prefix with parameter values replaced by their names. */
  readonly template: string;
}

/** Calls `onMatch` with each route Express matches for `req` and its full template. */
export function captureRoute(
  req: object & { baseUrl?: unknown; route?: unknown; params?: unknown },
  onMatch: (route: MatchedRoute, template: string) => void,
): void {
  const initialBase = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  const mounts: Mount[] = [{ url: initialBase, template: initialBase }];
  let baseUrl: unknown = req.baseUrl;
  let route: unknown = req.route;

  Object.defineProperty(req, 'baseUrl', {
    configurable: true,
    enumerable: true,
    get: () => baseUrl,
    set(value: unknown) {
      baseUrl = value;
      if (typeof value === 'string') enterOrLeave(mounts, value, req.params);
    },
  });

  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: unknown) {
      route = value;
      if (typeof value !== 'object' || value === null) return;
      const top = mounts[mounts.length - 1];
      const prefix =
        top !== undefined && top.url === baseUrl ? top.template : String(baseUrl ?? '');
      onMatch(value as MatchedRoute, joinRoute(prefix, (value as MatchedRoute).path));
    },
  });
}

/** Updates the mount stack for a new `req.baseUrl`: back to a parent, or into a child mount. */
function enterOrLeave(mounts: Mount[], url: string, params: unknown): void {
  let top = mounts[mounts.length - 1] as Mount;
  while (mounts.length > 1 && !isWithin(url, top.url)) {
    mounts.pop();
    top = mounts[mounts.length - 1] as Mount;
  }
  if (url === top.url) return;
  if (!isWithin(url, top.url)) {
    mounts.splice(0, mounts.length, { url, template: url });
    return;
  }
  const added = url.slice(top.url.length);
  mounts.push({ url, template: top.template + templateOf(added, params) });
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
