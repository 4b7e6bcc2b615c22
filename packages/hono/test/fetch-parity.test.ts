import { type Attributes, SpanKind, type SpanStatusCode } from '@opentelemetry/api';
import { CheckTelemetry, registerGlobals } from '@otel-http/conformance';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fetchOnly, nodeServer, type Runtime } from './runtimes.js';
import { standardApp } from './standard-app.js';
import { durationSeries } from './telemetry.js';

/** What one request of the standard route table must produce, on every runtime. */
interface Expectation {
  readonly method: string;
  readonly path: string;
  readonly name: string;
  readonly route: string | undefined;
  readonly status: number;
  readonly errorType?: string;
}

/** The shared expectation table: the standard route table, one row per request sent. */
const EXPECTED: readonly Expectation[] = [
  { method: 'GET', path: '/users/42', name: 'GET /users/:id', route: '/users/:id', status: 200 },
  { method: 'POST', path: '/users', name: 'POST /users', route: '/users', status: 201 },
  {
    method: 'GET',
    path: '/api/v1/items/7',
    name: 'GET /api/v1/items/:itemId',
    route: '/api/v1/items/:itemId',
    status: 200,
  },
  {
    method: 'GET',
    path: '/api/v1/boom',
    name: 'GET /api/v1/boom',
    route: '/api/v1/boom',
    status: 500,
    errorType: 'BoomError',
  },
  {
    method: 'GET',
    path: '/fail',
    name: 'GET /fail',
    route: '/fail',
    status: 500,
    errorType: 'FailError',
  },
  { method: 'GET', path: '/bad', name: 'GET /bad', route: '/bad', status: 400 },
  {
    method: 'GET',
    path: '/server-error',
    name: 'GET /server-error',
    route: '/server-error',
    status: 503,
    errorType: '503',
  },
  { method: 'GET', path: '/stream', name: 'GET /stream', route: '/stream', status: 200 },
  { method: 'GET', path: '/slow', name: 'GET /slow', route: '/slow', status: 200 },
  { method: 'GET', path: '/no/such/path', name: 'GET', route: undefined, status: 404 },
  { method: 'PURGE', path: '/users/42', name: 'HTTP', route: undefined, status: 404 },
];

/** Requests that must leave no telemetry at all (the suite's `ignore`). */
const IGNORED = ['/health'];

/** The transport fact a Fetch `Request` cannot tell; everything else must be identical. */
const TRANSPORT_ONLY = 'network.protocol.version';

interface Observed extends Expectation {
  readonly spanStatus: SpanStatusCode;
  readonly exceptionEvents: number;
  /** Whether the handler saw the request's own server span (from the probe in its JSON). */
  readonly handlerSawSpan: boolean | undefined;
}

interface Run {
  readonly rows: Observed[];
  readonly series: Array<{ attributes: Attributes; count: number }>;
  readonly activeRequests: number;
  readonly spanCount: number;
}

/** Sends the whole table through `runtime`, reading each body to its end, and observes. */
async function runTable(runtime: Runtime): Promise<Run> {
  const telemetry = new CheckTelemetry();
  const app = await runtime.open(standardApp({ ...telemetry.options, ignore: IGNORED }));
  try {
    const probes = new Map<string, unknown>();
    for (const { method, path } of EXPECTED) {
      const response = await app.request(path, { method });
      const text = await response.text();
      if (response.headers.get('content-type')?.startsWith('application/json')) {
        probes.set(`${method} ${path}`, JSON.parse(text));
      }
    }
    for (const path of IGNORED) await (await app.request(path)).text();

    const spans = await telemetry.waitForSpans(EXPECTED.length);
    const rows = EXPECTED.map(({ method, path }): Observed => {
      const span = spans.find(
        (candidate) =>
          candidate.attributes['url.path'] === path &&
          (candidate.attributes['http.request.method_original'] ??
            candidate.attributes['http.request.method']) === method,
      );
      if (span === undefined) throw new Error(`${runtime.name}: no span for ${method} ${path}`);
      expect(span.kind).toBe(SpanKind.SERVER);
      const probe = probes.get(`${method} ${path}`) as { spanId?: string } | undefined;
      const errorType = span.attributes['error.type'] as string | undefined;
      return {
        method,
        path,
        name: span.name,
        route: span.attributes['http.route'] as string | undefined,
        status: span.attributes['http.response.status_code'] as number,
        ...(errorType === undefined ? {} : { errorType }),
        spanStatus: span.status.code,
        exceptionEvents: span.events.filter((event) => event.name === 'exception').length,
        handlerSawSpan:
          probe?.spanId === undefined ? undefined : probe.spanId === span.spanContext().spanId,
      };
    });
    return {
      rows,
      series: await durationSeries(telemetry),
      activeRequests: await telemetry.counterTotal('http.server.active_requests'),
      spanCount: spans.length,
    };
  } finally {
    await app.close();
    await telemetry.shutdown();
  }
}

/** A series as a comparable line: its attributes sorted by key, then its count. */
const seriesLine = (attributes: Attributes, count: number, drop: readonly string[] = []) =>
  `${JSON.stringify(
    Object.entries(attributes)
      .filter(([key]) => !drop.includes(key))
      .sort(([a], [b]) => a.localeCompare(b)),
  )} ×${count}`;

describe('Fetch-only parity: the standard route table through app.request() and over Node', () => {
  let unregisterGlobals: () => void;
  beforeEach(() => {
    unregisterGlobals = registerGlobals();
    // Hono's default error handler logs the two deliberate errors of the table.
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
    unregisterGlobals();
  });

  it('gives the same span names, routes, statuses and metric series', async () => {
    const node = await runTable(nodeServer);
    const fetch = await runTable(fetchOnly);

    for (const run of [node, fetch]) {
      expect(run.spanCount).toBe(EXPECTED.length);
      expect(run.activeRequests).toBe(0);
      expect(
        run.rows.map(({ method, path, name, route, status, errorType }) => ({
          method,
          path,
          name,
          route,
          status,
          ...(errorType === undefined ? {} : { errorType }),
        })),
      ).toEqual(EXPECTED);
    }
    // Beyond the table: span status, exception events and the active span in handlers agree too.
    expect(fetch.rows).toEqual(node.rows);

    const nodeSeries = node.series.map((s) => seriesLine(s.attributes, s.count, [TRANSPORT_ONLY]));
    const fetchSeries = fetch.series.map((s) =>
      seriesLine(s.attributes, s.count, [TRANSPORT_ONLY]),
    );
    expect(fetchSeries.sort()).toEqual(nodeSeries.sort());
    expect(nodeSeries).toHaveLength(EXPECTED.length);
    // The one attribute allowed to differ: Node knows the HTTP version, a Fetch Request does not.
    expect(new Set(node.series.map((s) => s.attributes[TRANSPORT_ONLY]))).toEqual(new Set(['1.1']));
    expect(fetch.series.every((s) => !(TRANSPORT_ONLY in s.attributes))).toBe(true);

    console.log(
      [
        'Fetch-only parity (hono): request → span name | http.route | status | error.type — node = fetch',
        ...node.rows.map(
          (row, i) =>
            `  ${`${row.method} ${row.path}`.padEnd(22)} → ${row.name.padEnd(26)} | ${String(row.route ?? '—').padEnd(22)} | ${row.status} | ${row.errorType ?? '—'}${
              JSON.stringify(row) === JSON.stringify(fetch.rows[i]) ? '' : '  (differs)'
            }`,
        ),
        `  duration series: node ${nodeSeries.length}, fetch ${fetchSeries.length}, identical apart from ${TRANSPORT_ONLY}`,
      ].join('\n'),
    );
  });
});
