/**
 * Cardinality attack: thousands of requests to distinct unmatched paths, with odd methods and
 * random ids and queries on the one parameterised route. The metric series must be exactly those
 * the route table allows for what the client saw — (method or `_OTHER`) × status × (route or
 * none) — whatever the number of distinct paths; span names likewise.
 */
import { Agent } from 'node:http';
import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DEFAULT_KNOWN_METHODS } from '@otel-http/core';
import { pool, send } from '../client.js';
import { CountingSpanProcessor } from '../processors.js';
import { pick, randomText, seededRandom } from '../random.js';
import { ROUTE_TABLE, type Target } from '../targets.js';
import { activeRequests, createTelemetry, METRIC, type Telemetry } from '../telemetry.js';

/** Methods Node's HTTP parser accepts that are not in the semantic conventions' known list. */
export const ODD_METHODS = [
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'PURGE',
  'REPORT',
  'MKACTIVITY',
  'CHECKOUT',
  'MERGE',
  'M-SEARCH',
  'NOTIFY',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'LINK',
  'UNLINK',
  'ACL',
  'BIND',
  'REBIND',
  'UNBIND',
  'MKCALENDAR',
  'SOURCE',
] as const;
const KNOWN_OTHER = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'HEAD'] as const;
const PATH_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-';
const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Attributes a duration series may carry (semantic conventions, metric side). */
const METRIC_ATTRIBUTES = new Set([
  'http.request.method',
  'url.scheme',
  'http.response.status_code',
  'http.route',
  'error.type',
  'network.protocol.name',
  'network.protocol.version',
  'server.address',
  'server.port',
]);

interface AttackRequest {
  method: string;
  path: string;
  /** Node's parser refuses the method: nothing reaches the application. */
  refusedByNode: boolean;
  route: string | undefined;
}

/** The i-th request of the attack for a given random source. */
function attackRequest(random: () => number, i: number): AttackRequest {
  const noise = () => randomText(random, PATH_CHARS, 1 + Math.floor(random() * 24));
  const unmatched = () =>
    pick(random, [
      () => `/attack/${noise()}/${i}`,
      () => `/users/${noise()}/${i}/${noise()}`,
      () => `/${noise()}${i}`,
      () => `/stream/${i}/${noise()}`,
      () => `/api/%7e${noise()}/%41${i}`,
    ])();
  const r = random();
  if (r < 0.3) return { method: 'GET', path: unmatched(), refusedByNode: false, route: undefined };
  if (r < 0.5)
    return {
      method: pick(random, ODD_METHODS),
      path: unmatched(),
      refusedByNode: false,
      route: undefined,
    };
  if (r < 0.62)
    return {
      method: pick(random, KNOWN_OTHER),
      path: unmatched(),
      refusedByNode: false,
      route: undefined,
    };
  if (r < 0.67) {
    return {
      method: `X${randomText(random, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 6)}`,
      path: unmatched(),
      refusedByNode: true,
      route: undefined,
    };
  }
  const id = randomText(random, ID_CHARS, 1 + Math.floor(random() * 16));
  const query = r < 0.85 ? '' : `?${noise()}=${noise()}&page=${i}`;
  return {
    method: 'GET',
    path: `/users/${id}${i}${query}`,
    refusedByNode: false,
    route: '/users/:id',
  };
}

const KNOWN = new Set<string>(DEFAULT_KNOWN_METHODS);

/** The duration series a request must land in, from what the client saw. */
function expectedSeries(request: AttackRequest, status: number): string {
  const attributes: Attributes = {
    'http.request.method': KNOWN.has(request.method) ? request.method : '_OTHER',
    'url.scheme': 'http',
    'http.response.status_code': status,
    'network.protocol.version': '1.1',
  };
  if (request.route !== undefined && status < 400) attributes['http.route'] = request.route;
  if (status >= 500) attributes['error.type'] = String(status);
  return seriesKey(attributes);
}

function seriesKey(attributes: Attributes): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
}

const ALLOWED_NAMES = new Set(
  [...DEFAULT_KNOWN_METHODS, 'HTTP'].flatMap((m) => [
    m,
    ...ROUTE_TABLE.map((route) => `${m} ${route}`),
  ]),
);

function checkSpan(span: ReadableSpan): string | undefined {
  if (!ALLOWED_NAMES.has(span.name)) return `span name ${JSON.stringify(span.name.slice(0, 80))}`;
  const route = span.attributes['http.route'];
  if (route !== undefined && !(ROUTE_TABLE as readonly unknown[]).includes(route)) {
    return `http.route ${JSON.stringify(String(route).slice(0, 80))}`;
  }
  return undefined;
}

export interface CardinalityOptions {
  requests: number;
  /** Series are also counted after this many requests, to show they stop growing. */
  checkpoint: number;
  concurrency?: number;
  seed?: number;
  deadlineMs?: number;
}

export interface CardinalityResult {
  target: string;
  requests: number;
  completed: number;
  /** Requests that reached the application but got no HTTP response (network errors): must be 0. */
  networkErrors: number;
  /**
   * Requests with a method Node's parser refuses: answered 400 or (Fastify's client-error handler
   * destroys the socket right after writing) reset — never seen by the application.
   */
  refusedAnswered: number;
  refusedReset: number;
  distinctPaths: number;
  distinctMethods: number;
  refusedByNode: number;
  statuses: Record<string, number>;
  seriesAtCheckpoint: number;
  seriesAtEnd: number;
  expectedSeries: number;
  /** Series recorded that the client's view does not explain. */
  unexpectedSeries: string[];
  /** Series the client's view predicts that were not recorded. */
  missingSeries: string[];
  /** Attribute names on duration series outside the semantic conventions' metric list. */
  forbiddenAttributes: string[];
  activeRequestSeries: number;
  activeRequestsAtEnd: number;
  spansEnded: number;
  distinctSpanNames: number;
  spanProblems: string[];
  durationMs: number;
}

async function durationSeries(telemetry: Telemetry): Promise<Attributes[]> {
  return (await telemetry.points(METRIC.duration)).map((point) => point.attributes);
}

/** Runs the attack against one target. */
export async function runCardinalityAttack(
  target: Target,
  options: CardinalityOptions,
): Promise<CardinalityResult> {
  const { requests, checkpoint, concurrency = 32, seed = 1, deadlineMs = 100_000 } = options;
  const spans = new CountingSpanProcessor(checkSpan);
  const telemetry = createTelemetry({ spanProcessors: [spans] });
  const server = await target.start(telemetry.options);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const random = seededRandom(seed);
  const plan = Array.from({ length: requests }, (_, i) => attackRequest(random, i));
  const expected = new Set<string>();
  const statuses: Record<string, number> = {};
  let networkErrors = 0;
  let refusedAnswered = 0;
  let refusedReset = 0;
  const started = Date.now();
  const deadline = started + deadlineMs;
  const fire = async (i: number) => {
    const request = plan[i] as AttackRequest;
    try {
      // A refused request ends its connection: keep it off the shared keep-alive sockets (Fastify's
      // client-error reply closes the socket without `connection: close`, so a request queued on
      // it would be reset).
      const reply = await send(`${server.url}${request.path}`, {
        method: request.method,
        agent: request.refusedByNode ? false : agent,
        timeoutMs: 10_000,
      });
      statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
      if (request.refusedByNode) refusedAnswered++;
      else expected.add(expectedSeries(request, reply.status));
    } catch {
      if (request.refusedByNode) refusedReset++;
      else networkErrors++;
    }
  };
  try {
    const first = await pool(checkpoint, concurrency, fire, deadline - Date.now());
    const seriesAtCheckpoint = (await durationSeries(telemetry)).length;
    const rest = await pool(
      requests - checkpoint,
      concurrency,
      (i) => fire(i + checkpoint),
      deadline - Date.now(),
    );
    const durationMs = Date.now() - started;
    agent.destroy();
    // Requests end when their response closes; wait (bounded) for the last ones.
    const reachedApp = plan.filter((r) => !r.refusedByNode).length;
    const waitUntil = Date.now() + 5_000;
    while (spans.ended < reachedApp && Date.now() < waitUntil)
      await new Promise((r) => setTimeout(r, 10));

    const series = await durationSeries(telemetry);
    const recorded = new Set(series.map(seriesKey));
    const forbidden = new Set<string>();
    for (const attributes of series) {
      for (const name of Object.keys(attributes))
        if (!METRIC_ATTRIBUTES.has(name)) forbidden.add(name);
    }
    return {
      target: target.name,
      requests,
      completed: first.results.length + rest.results.length,
      networkErrors,
      refusedAnswered,
      refusedReset,
      distinctPaths: new Set(plan.map((r) => r.path)).size,
      distinctMethods: new Set(plan.map((r) => r.method)).size,
      refusedByNode: plan.filter((r) => r.refusedByNode).length,
      statuses,
      seriesAtCheckpoint,
      seriesAtEnd: series.length,
      expectedSeries: expected.size,
      unexpectedSeries: [...recorded].filter((key) => !expected.has(key)),
      missingSeries: [...expected].filter((key) => !recorded.has(key)),
      forbiddenAttributes: [...forbidden],
      activeRequestSeries: (await telemetry.points(METRIC.activeRequests)).length,
      activeRequestsAtEnd: await activeRequests(telemetry),
      spansEnded: spans.ended,
      distinctSpanNames: spans.names.size,
      spanProblems: spans.problems,
      durationMs,
    };
  } finally {
    agent.destroy();
    await server.close();
    await telemetry.shutdown();
  }
}
