/**
 * The arithmetic of route templates, apart from the live router objects: the path a mount layer
 * was declared with, a mount prefix followed by the rest of `req.baseUrl`, and a prefix joined to
 * a route's path. Pure functions of their arguments.
 */

import type { Mount } from './state.js';

/** What a router layer keeps of the path it was declared with (Express 4 or 5). */
export interface DeclaredLayer {
  /** Express 4: the parameter keys of the layer's path. */
  readonly keys?: unknown;
  /** Express 4: the layer's path compiled by path-to-regexp 0.1 (the only copy it keeps). */
  readonly regexp?: unknown;
  /** Express 5 (router 2): the path the layer was declared with. */
  readonly rawPath?: unknown;
}

/**
 * The path a mount layer was declared with, without its trailing slash: `''` for a layer at the
 * root of its router (`app.use(fn)`), `undefined` when the layer is not one Express made.
 * A mount declared with several paths or a regular expression is reported as declared (its
 * string form), like such a route.
 */
export function declaredMountPath(layer: DeclaredLayer): string | undefined {
  const declared = layer.rawPath ?? declaredPath4(layer);
  if (declared === undefined) return undefined;
  const path = typeof declared === 'string' ? declared : String(declared);
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Express 4: the layer's declared path, read back from its compiled expression. */
function declaredPath4(layer: DeclaredLayer): string | undefined {
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

export function isWithin(url: string, base: string): boolean {
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
