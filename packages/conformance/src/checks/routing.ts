import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { expect } from 'vitest';
import { ROUTES } from '../routes.js';
import { ATTR } from '../semconv.js';
import type { Check } from './types.js';

/** One request of the standard route table and the telemetry it must produce. */
interface RouteCase {
  readonly id: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** The expected `http.route`; `undefined` for the framework's 404. */
  readonly route: string | undefined;
  readonly status: number;
  /** The expected `error.type`, absent on success and 4xx. */
  readonly errorType?: string;
  /** Whether the request belongs to the status / `error.type` matrix. */
  readonly inStatusMatrix: boolean;
}

const ROUTE_CASES: readonly RouteCase[] = [
  {
    id: 'users-id',
    method: 'GET',
    path: '/users/42',
    route: '/users/:id',
    status: 200,
    inStatusMatrix: true,
  },
  {
    id: 'users-create',
    method: 'POST',
    path: '/users',
    route: '/users',
    status: ROUTES.created.status,
    inStatusMatrix: true,
  },
  {
    id: 'nested-item',
    method: 'GET',
    path: `${ROUTES.mount}/items/7`,
    route: `${ROUTES.mount}/items/:itemId`,
    status: 200,
    inStatusMatrix: false,
  },
  {
    id: 'nested-thrown',
    method: 'GET',
    path: `${ROUTES.mount}/boom`,
    route: `${ROUTES.mount}/boom`,
    status: 500,
    errorType: 'BoomError',
    inStatusMatrix: true,
  },
  {
    id: 'rejected',
    method: 'GET',
    path: '/fail',
    route: '/fail',
    status: 500,
    errorType: 'FailError',
    inStatusMatrix: true,
  },
  {
    id: 'bad-request',
    method: 'GET',
    path: '/bad',
    route: '/bad',
    status: ROUTES.bad.status,
    inStatusMatrix: true,
  },
  {
    id: 'server-error',
    method: 'GET',
    path: '/server-error',
    route: '/server-error',
    status: ROUTES.serverError.status,
    errorType: String(ROUTES.serverError.status),
    inStatusMatrix: true,
  },
  {
    // The parameter's value is the mount's literal: the template comes from the declared path.
    id: 'param-mount-literal-value',
    method: 'GET',
    path: '/orgs/orgs/projects/1',
    route: `${ROUTES.paramMount}/projects/:projectId`,
    status: 200,
    inStatusMatrix: false,
  },
  {
    id: 'param-mount-route-literal-values',
    method: 'GET',
    path: '/orgs/projects/projects/projects',
    route: `${ROUTES.paramMount}/projects/:projectId`,
    status: 200,
    inStatusMatrix: false,
  },
  { id: 'slow', method: 'GET', path: '/slow', route: '/slow', status: 200, inStatusMatrix: false },
  {
    id: 'stream',
    method: 'GET',
    path: '/stream',
    route: '/stream',
    status: 200,
    inStatusMatrix: false,
  },
  {
    id: 'not-found',
    method: 'GET',
    path: '/no/such/path',
    route: undefined,
    status: 404,
    inStatusMatrix: true,
  },
];

const init = (c: RouteCase): RequestInit =>
  c.method === 'POST'
    ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ada"}' }
    : {};

const routeChecks: Check[] = ROUTE_CASES.map((c) => ({
  id: `route.${c.id}`,
  title: c.route
    ? `${c.method} ${c.path} is named "${c.method} ${c.route}" with http.route ${c.route}`
    : `${c.method} ${c.path} (no route) is named "${c.method}" without http.route`,
  async run(t) {
    const response = await t.request(c.path, init(c));
    expect(response.status).toBe(c.status);
    const span = await t.serverSpan();
    if (c.route === undefined) {
      expect(span.name).toBe(c.method);
      expect(span.attributes).not.toHaveProperty([ATTR.route]);
    } else {
      expect(span.name).toBe(`${c.method} ${c.route}`);
      expect(span.attributes[ATTR.route]).toBe(c.route);
    }
  },
}));

const statusChecks: Check[] = ROUTE_CASES.filter((c) => c.inStatusMatrix).map((c) => ({
  id: `status.${c.status}-${c.id}`,
  title: `${c.path} → ${c.status}, span status ${c.status >= 500 ? 'ERROR' : 'UNSET'}, error.type ${c.errorType ?? 'absent'}`,
  async run(t) {
    const response = await t.request(c.path, init(c));
    expect(response.status).toBe(c.status);
    const span = await t.serverSpan();
    expect(span.attributes[ATTR.statusCode]).toBe(c.status);
    expect(span.status.code).toBe(c.status >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
    if (c.errorType === undefined) {
      expect(span.attributes).not.toHaveProperty([ATTR.errorType]);
    } else {
      expect(span.attributes[ATTR.errorType]).toBe(c.errorType);
    }
  },
}));

/** The exception event of a failed handler: exactly one, typed with the error's class name. */
const exceptionCheck = (id: string, path: string, errorType: string): Check => ({
  id: `exception.${id}`,
  title: `${path} records exactly one exception event of type ${errorType}`,
  async run(t) {
    expect((await t.request(path)).status).toBe(500);
    const span = await t.serverSpan();
    const exceptions = span.events.filter((event) => event.name === 'exception');
    expect(exceptions).toHaveLength(1);
    expect(exceptions[0]?.attributes?.[ATTR.exceptionType]).toBe(errorType);
  },
});

const exceptionChecks: Check[] = [
  exceptionCheck('thrown', `${ROUTES.mount}/boom`, 'BoomError'),
  exceptionCheck('rejected', '/fail', 'FailError'),
  {
    id: 'exception.none-without-error',
    title: 'a 503 answered without throwing has no exception event',
    async run(t) {
      expect((await t.request('/server-error')).status).toBe(ROUTES.serverError.status);
      const span = await t.serverSpan();
      expect(span.events.filter((event) => event.name === 'exception')).toEqual([]);
    },
  },
];

const spanChecks: Check[] = [
  {
    id: 'span.one-server-span-per-request',
    title: 'each request produces exactly one SERVER span, in its own trace',
    async run(t) {
      const paths = [
        '/users/1',
        `${ROUTES.mount}/items/2`,
        `${ROUTES.mount}/boom`,
        '/no/such/path',
      ];
      for (const path of paths) await t.request(path);
      const spans = await t.serverSpans(paths.length);
      expect(spans.every((span) => span.kind === SpanKind.SERVER)).toBe(true);
      expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(paths.length);
      expect(spans.map((span) => span.attributes[ATTR.urlPath]).sort()).toEqual([...paths].sort());
    },
  },
  {
    id: 'context.active-span',
    title: 'the handler runs with the server span active',
    async run(t) {
      const body = JSON.parse((await t.request('/users/42')).body);
      const span = await t.serverSpan();
      expect(body.id).toBe('42');
      expect(body.spanId).toBe(span.spanContext().spanId);
      expect(body.traceId).toBe(span.spanContext().traceId);
    },
  },
  {
    id: 'route.param-mount-parameters',
    title: `the router mounted at ${ROUTES.paramMount} sees both parameters`,
    async run(t) {
      const response = await t.request('/orgs/orgs/projects/1');
      expect(JSON.parse(response.body)).toMatchObject({ orgId: 'orgs', projectId: '1' });
      await t.serverSpan();
    },
  },
  {
    id: 'context.active-span-nested',
    title: 'a handler in the nested router runs with the server span active',
    async run(t) {
      const body = JSON.parse((await t.request(`${ROUTES.mount}/items/7`)).body);
      const span = await t.serverSpan();
      expect(body.itemId).toBe('7');
      expect(body.spanId).toBe(span.spanContext().spanId);
    },
  },
];

/** Route names, the status matrix, exception events, span count and the active context. */
export const ROUTING_CHECKS: readonly Check[] = [
  ...routeChecks,
  ...statusChecks,
  ...exceptionChecks,
  ...spanChecks,
];
