import { describe, expect, it } from 'vitest';
import {
  handlerRoute,
  type MatchedRoute,
  type RoutesReader,
  routesReaderFor,
} from '../src/route.js';

const use = (path: string): MatchedRoute => ({ method: 'ALL', path });
const get = (path: string): MatchedRoute => ({ method: 'GET', path });

// Each case: the matched routes in dispatch order (index 0 is the instrumentation middleware unless
// `own` says otherwise), how far Hono dispatched, and the route to report.
const cases: Array<{
  name: string;
  routes: MatchedRoute[];
  own?: number;
  reached: number;
  route: string | undefined;
}> = [
  { name: 'only the middleware matched (404)', routes: [use('/*')], reached: 0, route: undefined },
  {
    name: 'before the chain runs: the first handler ahead',
    routes: [use('/*'), use('/*'), get('/users/:id')],
    reached: 0,
    route: '/users/:id',
  },
  {
    name: 'the handler that answered',
    routes: [use('/*'), get('/users/:id')],
    reached: 1,
    route: '/users/:id',
  },
  {
    name: 'a mounted sub-app handler keeps its prefix',
    routes: [use('/*'), use('/api/v1/*'), get('/api/v1/items/:itemId')],
    reached: 2,
    route: '/api/v1/items/:itemId',
  },
  {
    name: 'a later handler that answered wins over one that called next()',
    routes: [use('/*'), get('/users/*'), get('/users/:id')],
    reached: 2,
    route: '/users/:id',
  },
  {
    name: 'a handler that answered before a later match',
    routes: [use('/*'), get('/users/:id'), get('/users/*')],
    reached: 1,
    route: '/users/:id',
  },
  {
    name: 'a middleware answered first: the handler Hono routed to',
    routes: [use('/*'), use('/admin/*'), get('/admin/stats')],
    reached: 1,
    route: '/admin/stats',
  },
  {
    name: 'middleware only, fell through to not-found',
    routes: [use('/*'), use('/api/*')],
    reached: 1,
    route: undefined,
  },
  {
    name: 'a trailing middleware after the handler that called next()',
    routes: [use('/*'), get('/users/:id'), use('/*')],
    reached: 2,
    route: '/users/:id',
  },
  {
    name: 'app.all() without a wildcard is a handler',
    routes: [use('/*'), use('/graphql')],
    reached: 1,
    route: '/graphql',
  },
  {
    name: 'a method handler on a wildcard is a handler',
    routes: [use('/*'), get('/*')],
    reached: 1,
    route: '/*',
  },
  {
    name: 'routes before the instrumentation never count',
    routes: [get('/early'), use('/*'), use('/*')],
    own: 1,
    reached: 2,
    route: undefined,
  },
  { name: 'no match result at all', routes: [], reached: 0, route: undefined },
];

describe('handlerRoute', () => {
  it.each(cases)('$name', ({ routes, own = 0, reached, route }) => {
    expect(handlerRoute(routes, own, reached)).toBe(route);
  });
});

const matched = [use('/*'), get('/users/:id')];
/** A raw match result as Hono's routers return it: `[[[handler, route], params], …]`. */
type RawMatch = [Array<[[unknown, MatchedRoute], Record<string, unknown>]>];
const matchResult: RawMatch = [matched.map((route) => [[() => {}, route], {}])];
const hidden = Symbol('the match result, private to one copy of Hono');
const throwing = (): never => {
  throw new TypeError("Cannot read properties of undefined (reading '0')");
};
/** The own copy's `matchedRoutes`: reads `hidden`, as `hono/route` reads its copy's symbol. */
const ownHelper: RoutesReader = ({ req }) => fromHidden((req as Record<symbol, unknown>)[hidden]);
const fromHidden = (result: unknown) => (result as RawMatch)[0].map(([[, route]]) => route);

/** A request of a class that has `members` on its prototype, as Hono's HonoRequest has. */
function requestWith(members: PropertyDescriptorMap): { req: object } {
  return { req: Object.create(Object.create(Object.prototype, members)) };
}

const readerCases: Array<{ name: string; c: { req: object }; routes: unknown }> = [
  {
    name: "the package's own copy of Hono",
    c: requestWith({ [hidden]: { get: () => matchResult } }),
    routes: matched,
  },
  {
    name: 'another copy: its own symbol getter on the request class',
    c: requestWith({
      [Symbol('unrelated')]: { get: () => 'something else' },
      [Symbol('other copy')]: { get: () => matchResult },
    }),
    routes: matched,
  },
  {
    name: 'another copy without a symbol getter: the public matchedRoutes',
    c: requestWith({ matchedRoutes: { get: () => matched } }),
    routes: matched,
  },
  {
    name: 'getters that throw are passed over',
    c: requestWith({
      [Symbol('broken')]: { get: throwing },
      matchedRoutes: { get: () => matched },
    }),
    routes: matched,
  },
  {
    name: 'routes without templates are not routes',
    c: requestWith({ matchedRoutes: { get: () => [{ method: 'GET' }] } }),
    routes: undefined,
  },
  { name: 'nothing readable', c: requestWith({}), routes: undefined },
];

describe('routesReaderFor', () => {
  it.each(readerCases)('$name', ({ c, routes }) => {
    const reader = routesReaderFor(c, ownHelper);
    expect(reader?.(c)).toEqual(routes);
  });

  it("prefers the package's own helper when it works", () => {
    const c = requestWith({ [hidden]: { get: () => matchResult } });
    expect(routesReaderFor(c, ownHelper)).toBe(ownHelper);
  });
});
