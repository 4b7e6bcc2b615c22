import { ValueType } from '@opentelemetry/api';
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';
import {
  attributeKeys,
  findMetric,
  histogramCount,
  histogramPoints,
  sumPoints,
} from '../metrics.js';
import { ROUTES, sleep } from '../routes.js';
import {
  ADVISED_DURATION_BUCKETS,
  ALLOWED_ACTIVE_REQUESTS_ATTRIBUTES,
  ALLOWED_DURATION_ATTRIBUTES,
  ATTR,
  FORBIDDEN_METRIC_ATTRIBUTES,
  METRIC,
} from '../semconv.js';
import { waitFor } from '../wait.js';
import { type CheckContext, spanDurationMs } from './context.js';
import type { Check } from './types.js';

/** Waits until the duration histogram holds `count` measurements and returns its data points. */
async function durationPoints(t: CheckContext, count: number) {
  await waitFor(`${count} duration measurement(s)`, async () =>
    histogramCount(await t.telemetry.collect(), METRIC.duration) >= count ? true : undefined,
  );
  return histogramPoints(await t.telemetry.collect(), METRIC.duration);
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function inBatches<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += limit) {
    await Promise.all(items.slice(i, i + limit).map(task));
  }
}

const CARDINALITY_REQUESTS = 200;

/**
 * The first `count` ways of writing `path` in upper and lower case, letter by letter: frameworks
 * that match paths without regard to case answer all of them with one route.
 */
function caseVariants(path: string, count: number): string[] {
  const letters = [...path].flatMap((char, i) => (/[a-z]/i.test(char) ? [i] : []));
  const variants: string[] = [];
  for (let mask = 0; variants.length < count && mask < 2 ** letters.length; mask++) {
    const chars = [...path];
    letters.forEach((at, bit) => {
      if (mask & (2 ** bit)) chars[at] = (chars[at] as string).toUpperCase();
    });
    variants.push(chars.join(''));
  }
  return variants;
}

/** The routed requests of the standard table that the case and trailing-slash variants vary. */
const VARIED_ROUTES: ReadonlyArray<readonly [path: string, route: string]> = [
  ['/users/42', '/users/:id'],
  [`${ROUTES.mount}/items/7`, `${ROUTES.mount}/items/:itemId`],
  ['/orgs/acme/projects/9', `${ROUTES.paramMount}/projects/:projectId`],
];
const CASE_VARIANTS = 16;

/** The RED metrics: instruments, attributes, values, sampling independence and cardinality. */
export const METRIC_CHECKS: readonly Check[] = [
  {
    id: 'metrics.duration-instrument',
    title: 'http.server.request.duration: histogram in s, double, advised bucket boundaries',
    async run(t) {
      await t.request('/users/42');
      const [point] = await durationPoints(t, 1);
      const metric = findMetric(await t.telemetry.collect(), METRIC.duration);
      expect(metric?.descriptor.unit).toBe('s');
      expect(metric?.descriptor.valueType).toBe(ValueType.DOUBLE);
      expect(point?.value.buckets.boundaries).toEqual(ADVISED_DURATION_BUCKETS);
    },
  },
  {
    id: 'metrics.duration-attributes',
    title: 'duration attributes are within the allowed set, with method, scheme, status, route',
    async run(t) {
      await t.request('/users/42?q=private');
      const points = await durationPoints(t, 1);
      expect(points).toHaveLength(1);
      const attributes = points[0]?.attributes ?? {};
      for (const key of attributeKeys(attributes)) {
        expect(ALLOWED_DURATION_ATTRIBUTES, `unexpected metric attribute ${key}`).toContain(key);
      }
      for (const key of FORBIDDEN_METRIC_ATTRIBUTES) expect(attributes).not.toHaveProperty([key]);
      expect(attributes).toMatchObject({
        [ATTR.method]: 'GET',
        [ATTR.urlScheme]: 'http',
        [ATTR.statusCode]: 200,
        [ATTR.route]: '/users/:id',
      });
      expect(attributes).not.toHaveProperty([ATTR.errorType]);
    },
  },
  {
    id: 'metrics.error-attributes',
    title: 'a thrown error is on the duration metric: error.type, 500, the nested route',
    async run(t) {
      await t.request(`${ROUTES.mount}/boom`);
      const points = await durationPoints(t, 1);
      expect(points.map((point) => point.attributes)).toEqual([
        expect.objectContaining({
          [ATTR.errorType]: 'BoomError',
          [ATTR.statusCode]: 500,
          [ATTR.route]: `${ROUTES.mount}/boom`,
        }),
      ]);
    },
  },
  {
    id: 'metrics.active-requests',
    title: 'active_requests counts a request in flight with method and scheme only, then 0',
    async run(t) {
      const done = t.request('/slow');
      const inFlight = await waitFor('a request in flight', async () => {
        const points = sumPoints(await t.telemetry.collect(), METRIC.activeRequests);
        return points.some((point) => point.value === 1) ? points : undefined;
      });
      expect(inFlight).toHaveLength(1);
      expect(attributeKeys(inFlight[0]?.attributes ?? {})).toEqual(
        [...ALLOWED_ACTIVE_REQUESTS_ATTRIBUTES].sort(),
      );
      expect(inFlight[0]?.attributes).toEqual({ [ATTR.method]: 'GET', [ATTR.urlScheme]: 'http' });
      await done;
      await t.serverSpan();
      const after = sumPoints(await t.telemetry.collect(), METRIC.activeRequests);
      expect(after.map((point) => point.value)).toEqual([0]);
      expect(findMetric(await t.telemetry.collect(), METRIC.activeRequests)?.descriptor.unit).toBe(
        '{request}',
      );
    },
  },
  {
    id: 'metrics.duration-matches-span',
    title: 'the duration measurement equals the span duration within 1 ms',
    async run(t) {
      await t.request('/slow');
      const span = await t.serverSpan();
      const [point] = await durationPoints(t, 1);
      expect(point?.value.count).toBe(1);
      expect(Math.abs((point?.value.sum ?? 0) * 1e3 - spanDurationMs(span))).toBeLessThanOrEqual(1);
    },
  },
  {
    id: 'metrics.recorded-when-not-sampled',
    title: 'with a sampler that drops every trace, the metrics are still recorded',
    sampler: () => new AlwaysOffSampler(),
    async run(t) {
      expect((await t.request('/users/42')).status).toBe(200);
      const points = await durationPoints(t, 1);
      expect(points[0]?.attributes[ATTR.route]).toBe('/users/:id');
      expect(t.telemetry.spans()).toEqual([]);
    },
  },
  {
    id: 'metrics.not-found-no-route',
    title: 'a 404 on an unknown path has no http.route on the metric',
    async run(t) {
      await t.request('/no/such/path');
      const points = await durationPoints(t, 1);
      expect(points[0]?.attributes[ATTR.statusCode]).toBe(404);
      expect(points[0]?.attributes).not.toHaveProperty([ATTR.route]);
    },
  },
  {
    id: 'metrics.cardinality',
    title: `${CARDINALITY_REQUESTS} distinct unmatched paths make one duration series`,
    async run(t) {
      const indexes = Array.from({ length: CARDINALITY_REQUESTS }, (_, i) => i);
      await inBatches(indexes, 10, async (i) => {
        expect((await t.request(`/unmatched/${i}/${i * 7}?page=${i}`)).status).toBe(404);
      });
      const points = await durationPoints(t, CARDINALITY_REQUESTS);
      expect(points).toHaveLength(1);
      expect(points[0]?.value.count).toBe(CARDINALITY_REQUESTS);
      expect(points[0]?.attributes[ATTR.statusCode]).toBe(404);
      await waitFor('every span', () =>
        t.telemetry.serverSpans().length >= CARDINALITY_REQUESTS ? true : undefined,
      );
      expect(new Set(t.telemetry.serverSpans().map((span) => span.name))).toEqual(new Set(['GET']));
    },
  },
  {
    id: 'metrics.cardinality-case-and-slash',
    title: `${CASE_VARIANTS} letter cases × a trailing slash of each routed path add no route values`,
    async run(t) {
      const templates = new Set(VARIED_ROUTES.map(([, route]) => route));
      const paths = VARIED_ROUTES.flatMap(([path]) =>
        caseVariants(path, CASE_VARIANTS).flatMap((variant) => [variant, `${variant}/`]),
      );
      const statuses = new Map<string, number>();
      await inBatches(paths, 10, async (path) => {
        statuses.set(path, (await t.request(path)).status);
      });
      // The paths as declared are routed, whatever the framework does with the variants.
      for (const [path] of VARIED_ROUTES) expect(statuses.get(path), path).toBe(200);

      const points = await durationPoints(t, paths.length);
      for (const point of points) {
        const route = point.attributes[ATTR.route];
        if (route !== undefined) expect(templates, `http.route ${route}`).toContain(route);
      }
      // One series per template and status, and the unrouted ones per status.
      const answered = new Set(statuses.values()).size;
      expect(points.length).toBeLessThanOrEqual((templates.size + 1) * answered);
      await waitFor('every span', () =>
        t.telemetry.serverSpans().length >= paths.length ? true : undefined,
      );
      for (const span of t.telemetry.serverSpans()) {
        const path = String(span.attributes[ATTR.urlPath]);
        const route = span.attributes[ATTR.route];
        // A request the framework answered from a route carries its template; a 404 none.
        if (statuses.get(path) === 200) expect(templates, `${path}: ${route}`).toContain(route);
        else expect(route, path).toBeUndefined();
      }
    },
  },
  {
    id: 'metrics.ignored-route',
    title: 'the ignored /health makes neither a span nor a metric',
    async run(t) {
      expect((await t.request('/health')).status).toBe(200);
      // A recorded request after it: once its telemetry is in, the /health request's would be too.
      await sleep(20);
      await t.request('/users/42');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.urlPath]).toBe('/users/42');
      const points = await durationPoints(t, 1);
      expect(points.map((point) => point.value.count)).toEqual([1]);
      const active = sumPoints(await t.telemetry.collect(), METRIC.activeRequests);
      expect(active.map((point) => point.value)).toEqual([0]);
    },
  },
];
