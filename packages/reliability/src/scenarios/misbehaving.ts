/**
 * Misbehaving user code: hooks and overrides that throw, return the wrong type, return 1 MB
 * strings, end the span themselves. The request must come back intact, the span and the metric
 * stay well-formed with bounded names and routes, and the diagnostic logger be told.
 */
import type { Span, TextMapPropagator } from '@opentelemetry/api';
import type { OtelHttpOptions } from '@otel-http/core';
import { send } from '../client.js';
import { STREAM, type Target } from '../targets.js';
import { createTelemetry, METRIC, recordDiagnostics } from '../telemetry.js';

const MB = 1024 * 1024;
/** Core's bound on names and routes taken from user overrides. */
export const OVERRIDE_LIMIT = 256;

const boom = (): never => {
  throw new Error('user code failed');
};

export interface Misbehaviour {
  readonly name: string;
  readonly options: OtelHttpOptions;
  /** A text the diagnostic logger must have been told, when the code threw. */
  readonly reported?: string;
  /** The name of the `/users/:id` span; default `GET /users/:id`. */
  readonly spanName?: string;
  /** The route of the `/users/:id` request on span and metric; default `/users/:id`. */
  readonly route?: string;
  /** The route on the span when it differs from the metric's (`''`: none). */
  readonly spanRoute?: string;
  /** A defect of otel-http that makes this case fail today: what, and where. */
  readonly knownDefect?: string;
}

const hugeName = 'n'.repeat(MB);
const hugeRoute = 'r'.repeat(MB);

/** The catalogue. Overrides are typed loosely on purpose: JavaScript callers are not checked. */
export const MISBEHAVIOURS: readonly Misbehaviour[] = [
  { name: 'requestHook throws', options: { requestHook: boom }, reported: 'requestHook' },
  { name: 'responseHook throws', options: { responseHook: boom }, reported: 'responseHook' },
  {
    name: 'requestHook throws a string',
    options: {
      requestHook: () => {
        throw 'a string';
      },
    },
    reported: 'requestHook',
  },
  {
    name: 'requestHook throws an object whose toString throws',
    options: {
      requestHook: () => {
        throw { toString: boom };
      },
    },
    reported: 'requestHook',
  },
  {
    // The user ended the span at its start: nothing can be added to it any more (the SDK warns),
    // but the request and its measurement are unaffected.
    name: 'requestHook ends the span itself',
    options: { requestHook: (span: Span) => span.end() },
    spanName: 'GET',
    spanRoute: '',
  },
  { name: 'spanName throws', options: { spanName: boom }, reported: 'spanName' },
  {
    name: 'spanName returns a number',
    options: { spanName: (() => 42) as unknown as OtelHttpOptions['spanName'] },
  },
  {
    name: 'spanName returns an object',
    options: { spanName: (() => ({ name: 'x' })) as unknown as OtelHttpOptions['spanName'] },
  },
  {
    name: 'spanName returns null',
    options: { spanName: (() => null) as unknown as OtelHttpOptions['spanName'] },
  },
  { name: 'spanName returns an empty string', options: { spanName: () => '' } },
  {
    name: 'spanName returns a promise',
    options: { spanName: (async () => 'late') as unknown as OtelHttpOptions['spanName'] },
  },
  {
    name: 'spanName returns 1 MB',
    options: { spanName: () => hugeName },
    spanName: hugeName.slice(0, OVERRIDE_LIMIT),
  },
  { name: 'route throws', options: { route: boom }, reported: 'route' },
  {
    name: 'route returns a number',
    options: { route: (() => 7) as unknown as OtelHttpOptions['route'] },
  },
  {
    name: 'route returns an object',
    options: { route: (() => ({})) as unknown as OtelHttpOptions['route'] },
  },
  {
    name: 'route returns 1 MB',
    options: { route: () => hugeRoute },
    route: hugeRoute.slice(0, OVERRIDE_LIMIT),
    spanName: `GET ${hugeRoute.slice(0, OVERRIDE_LIMIT)}`,
  },
  { name: 'ignore predicate throws', options: { ignore: boom }, reported: 'ignore' },
  {
    name: 'ignore predicate is async (resolves to false)',
    options: { ignore: (async () => false) as unknown as OtelHttpOptions['ignore'] },
    reported: 'ignore option',
  },
  {
    name: 'propagator throws',
    options: {
      propagator: {
        extract: boom,
        inject: boom,
        fields: () => ['traceparent'],
      } as TextMapPropagator,
    },
    reported: 'propagator',
  },
  {
    name: 'every hook and override throws at once',
    options: {
      requestHook: boom,
      responseHook: boom,
      spanName: boom,
      route: boom,
      ignore: boom,
      trustRemoteContext: boom,
    },
    reported: 'threw',
  },
];

export interface MisbehaviourResult {
  target: string;
  misbehaviour: string;
  /** Responses that were not what the application answers without telemetry. */
  brokenResponses: string[];
  spans: number;
  spanNames: string[];
  longestSpanName: number;
  routesOnSpans: string[];
  routesOnMetric: string[];
  longestMetricRoute: number;
  reported: boolean;
  diagnostics: number;
  knownDefect: string | undefined;
}

/** Three requests (a JSON route, a stream, a 404) under one misbehaviour. */
export async function runMisbehaviour(
  target: Target,
  misbehaviour: Misbehaviour,
): Promise<MisbehaviourResult> {
  const telemetry = createTelemetry();
  const diagnostics = recordDiagnostics();
  const server = await target.start({ ...telemetry.options, ...misbehaviour.options });
  try {
    const broken: string[] = [];
    const user = await send(`${server.url}/users/42`);
    if (user.status !== 200 || (JSON.parse(user.body) as { id?: string }).id !== '42') {
      broken.push(`/users/42 → ${user.status} ${user.body.slice(0, 80)}`);
    }
    const stream = await send(`${server.url}/stream`);
    const whole = Array.from({ length: STREAM.chunks }, (_, i) => STREAM.chunk(i)).join('');
    if (stream.status !== 200 || stream.body !== whole)
      broken.push(`/stream → ${stream.status} ${stream.body.slice(0, 80)}`);
    const missing = await send(`${server.url}/missing`);
    if (missing.status !== 404) broken.push(`/missing → ${missing.status}`);

    const spans = await telemetry.waitForSpans(3, 1_000);
    const points = await telemetry.points(METRIC.duration);
    const metricRoutes = points
      .map((p) => p.attributes['http.route'])
      .filter((r): r is string => typeof r === 'string');
    const messages = diagnostics.logger.messages;
    return {
      target: target.name,
      misbehaviour: misbehaviour.name,
      brokenResponses: broken,
      spans: spans.length,
      spanNames: spans.map((s) => s.name),
      longestSpanName: Math.max(0, ...spans.map((s) => s.name.length)),
      routesOnSpans: spans.map((s) => String(s.attributes['http.route'] ?? '')),
      routesOnMetric: metricRoutes,
      longestMetricRoute: Math.max(0, ...metricRoutes.map((r) => r.length)),
      reported:
        misbehaviour.reported === undefined ||
        messages.some((m) => m.message.includes(misbehaviour.reported as string)),
      diagnostics: messages.length,
      knownDefect: misbehaviour.knownDefect,
    };
  } finally {
    diagnostics.restore();
    await server.close();
    await telemetry.shutdown();
  }
}
