/**
 * Property-based fuzzing of whole requests: hostile `traceparent`, `tracestate`, `baggage`,
 * `Host`, `Forwarded`, `X-Forwarded-*`, `User-Agent` and query strings, each sent as raw bytes to
 * the instrumented application and to the same application without telemetry. The properties:
 * the instrumented one answers exactly as the control does, the handler sees a context that
 * follows the W3C rules, exactly one well-formed server span is recorded, nothing is logged as a
 * failure, and the metric series stay those of the route table.
 */
import { context } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createServerInstrumentation, requestInfoFromFetch } from '@otel-http/core';
import fc from 'fast-check';
import { FUZZ_SEED, type FuzzRequest, fuzzRequest } from '../arbitraries.js';
import { rawBody, rawExchange, rawRequest, waitFor } from '../client.js';
import { type Probe, probe } from '../probe.js';
import { honoApp, type Target } from '../targets.js';
import {
  activeRequests,
  createTelemetry,
  METRIC,
  recordDiagnostics,
  type Telemetry,
} from '../telemetry.js';
import { baggageViolations, parseTraceparent, traceStateViolations } from '../w3c.js';
import { lenientTrim } from './header-rules.js';

export interface FuzzResult {
  readonly path: string;
  readonly runs: number;
  readonly seed: number;
  /** fast-check's report of the first counterexample (shrunk), if a property failed. */
  readonly failure: string | undefined;
  /** Requests the framework itself refused (same status with and without telemetry). */
  readonly refusedByFramework: number;
  readonly diagnostics: string[];
  readonly durationSeries: number;
  readonly activeRequests: number;
}

/** The value a propagator sees for a repeated header: Node and Fetch join repeats with `, `. */
function joined(headers: FuzzRequest['headers'], name: string): string | undefined {
  const values = headers
    .filter(([key]) => key === name)
    .map(([, v]) => v.replace(/^[ \t]+|[ \t]+$/g, ''));
  return values.length === 0 ? undefined : values.join(', ');
}

/** Problems in what the handler saw, by the W3C rules (see w3c.ts). */
export function contextProblems(request: FuzzRequest, seen: Probe): string[] {
  const problems: string[] = [];
  const traceparent = joined(request.headers, 'traceparent');
  const parent = traceparent === undefined ? undefined : parseTraceparent(traceparent);
  // A known deviation of @opentelemetry/core (see the corpus): one whitespace character at either
  // end is tolerated; either outcome is accepted for such values.
  const tolerated =
    !parent &&
    traceparent !== undefined &&
    parseTraceparent(lenientTrim(traceparent)) !== undefined;
  if (parent) {
    if (seen.traceId !== parent.traceId)
      problems.push(`valid traceparent not continued: ${JSON.stringify(traceparent)}`);
  } else if (!tolerated && traceparent !== undefined && traceparent.includes(seen.traceId ?? '-')) {
    problems.push(`invalid traceparent continued: ${JSON.stringify(traceparent)}`);
  }
  problems.push(...traceStateViolations(seen.traceState).map((p) => `tracestate: ${p}`));
  problems.push(...baggageViolations(seen.baggage).map((p) => `baggage: ${p}`));
  return problems;
}

const HOST_TEXT = /^[A-Za-z0-9.:_%-]{1,255}$/;

/** Problems in the recorded server span of one request. */
export function spanProblems(
  request: FuzzRequest,
  path: string,
  spans: readonly ReadableSpan[],
  seen: Probe,
): string[] {
  const mine = spans.filter((span) => span.attributes['url.path'] === path);
  if (!seen.sampled) return mine.length === 0 ? [] : ['an unsampled request was exported'];
  if (mine.length !== 1) return [`${mine.length} spans for one request`];
  const span = mine[0] as ReadableSpan;
  const problems: string[] = [];
  const a = span.attributes;
  if (span.name !== 'GET /users/:id')
    problems.push(`span name ${JSON.stringify(span.name.slice(0, 80))}`);
  if (a['http.route'] !== '/users/:id') problems.push(`route ${String(a['http.route'])}`);
  if (a['http.response.status_code'] !== 200)
    problems.push(`status attribute ${String(a['http.response.status_code'])}`);
  const address = a['server.address'];
  if (address !== undefined && !(typeof address === 'string' && HOST_TEXT.test(address))) {
    problems.push(`server.address ${JSON.stringify(String(address).slice(0, 80))}`);
  }
  const port = a['server.port'];
  if (
    port !== undefined &&
    !(Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65535)
  ) {
    problems.push(`server.port ${String(port)}`);
  }
  const client = a['client.address'];
  if (client !== undefined && !(typeof client === 'string' && HOST_TEXT.test(client))) {
    problems.push(`client.address ${JSON.stringify(String(client).slice(0, 80))}`);
  }
  const scheme = a['url.scheme'];
  if (scheme !== 'http' && scheme !== 'https') problems.push(`url.scheme ${String(scheme)}`);
  const agent = a['user_agent.original'];
  if (typeof agent === 'string' && agent.length > 1024)
    problems.push(`user agent of ${agent.length} characters`);
  if (request.query !== undefined && request.query.length > 0 && a['url.query'] === undefined) {
    problems.push('url.query missing');
  }
  return problems;
}

export interface FuzzOptions {
  runs: number;
  seed?: number;
}

const targetOf = (id: string, query: string | undefined) =>
  `/users/${id}${query === undefined ? '' : `?${query}`}`;

/** Fuzzes one target over raw HTTP/1.1, against its uninstrumented twin. */
export async function fuzzOverHttp(
  target: Target,
  { runs, seed = FUZZ_SEED }: FuzzOptions,
): Promise<FuzzResult> {
  const telemetry = createTelemetry();
  const settings = { maxHeaderSize: 256 * 1024 };
  const options = {
    ...telemetry.options,
    trustProxy: true,
    captureRequestHeaders: ['user-agent', 'forwarded'],
  };
  const instrumented = await target.start(options, settings);
  const control = await target.start(options, { ...settings, instrument: false });
  const diagnostics = recordDiagnostics();
  let counter = 0;
  let refused = 0;
  try {
    const property = fc.asyncProperty(fuzzRequest, async (generated) => {
      const request: FuzzRequest = { ...generated, id: `f${counter++}` };
      const bytes = rawRequest('GET', targetOf(request.id, request.query), request.headers);
      const [reply, expected] = await Promise.all([
        rawExchange(instrumented.port, bytes),
        rawExchange(control.port, bytes),
      ]);
      if (reply.status !== expected.status) {
        throw new Error(`status ${reply.status} with telemetry, ${expected.status} without`);
      }
      if (reply.status !== 200) {
        refused++;
        return;
      }
      const seen = JSON.parse(rawBody(reply.text)) as Probe & { id: string };
      if (seen.id !== request.id) throw new Error(`handler saw id ${seen.id}`);
      const problems = contextProblems(request, seen);
      const spans = await spansOf(telemetry, `/users/${request.id}`, seen.sampled);
      problems.push(...spanProblems(request, `/users/${request.id}`, spans, seen));
      if (problems.length > 0) throw new Error(problems.join('; '));
    });
    const failure = await check(property, runs, seed);
    return {
      path: target.name,
      runs,
      seed,
      failure,
      refusedByFramework: refused,
      diagnostics: diagnostics.logger.messages.map((m) => `${m.level}: ${m.message}`),
      durationSeries: (await telemetry.points(METRIC.duration)).length,
      activeRequests: await activeRequests(telemetry),
    };
  } finally {
    diagnostics.restore();
    await Promise.all([instrumented.close(), control.close()]);
    await telemetry.shutdown();
  }
}

/**
 * Fuzzes the Fetch path: `requestInfoFromFetch` + `start` (core alone), or a Hono application's
 * `app.request()` against its uninstrumented twin. Header sets `Headers` refuses are skipped.
 */
export async function fuzzOverFetch(
  kind: 'core' | 'hono',
  { runs, seed = FUZZ_SEED }: FuzzOptions,
): Promise<FuzzResult> {
  const telemetry = createTelemetry();
  const options = {
    ...telemetry.options,
    trustProxy: true,
    captureRequestHeaders: ['user-agent', 'forwarded'],
  };
  const instrumentation = createServerInstrumentation(options);
  const app = honoApp(options);
  const control = honoApp(options, false);
  const diagnostics = recordDiagnostics();
  let counter = 0;
  let refused = 0;
  try {
    const property = fc.asyncProperty(fuzzRequest, async (generated) => {
      const request: FuzzRequest = { ...generated, id: `f${counter++}` };
      const build = () => {
        const headers = new Headers();
        for (const [name, value] of request.headers) headers.append(name, value);
        return new Request(`http://127.0.0.1${targetOf(request.id, request.query)}`, { headers });
      };
      try {
        build();
      } catch {
        refused++;
        return;
      }
      let seen: Probe;
      if (kind === 'core') {
        const handle = instrumentation.start(requestInfoFromFetch(build()));
        if (!handle) throw new Error('not instrumented');
        seen = context.with(handle.context, probe);
        handle.end({ statusCode: 200 });
      } else {
        const [response, expected] = await Promise.all([
          app.request(build()),
          control.request(build()),
        ]);
        if (response.status !== expected.status) {
          throw new Error(`status ${response.status} with telemetry, ${expected.status} without`);
        }
        if (response.status !== 200) {
          refused++;
          return;
        }
        seen = (await response.json()) as Probe;
      }
      const problems = contextProblems(request, seen);
      if (kind === 'hono') {
        const spans = await spansOf(telemetry, `/users/${request.id}`, seen.sampled);
        problems.push(...spanProblems(request, `/users/${request.id}`, spans, seen));
      }
      if (problems.length > 0) throw new Error(problems.join('; '));
    });
    const failure = await check(property, runs, seed);
    return {
      path: `fetch: ${kind}`,
      runs,
      seed,
      failure,
      refusedByFramework: refused,
      diagnostics: diagnostics.logger.messages.map((m) => `${m.level}: ${m.message}`),
      durationSeries: (await telemetry.points(METRIC.duration)).length,
      activeRequests: await activeRequests(telemetry),
    };
  } finally {
    diagnostics.restore();
    await telemetry.shutdown();
  }
}

/** The spans of one request path, once the expected one has ended (bounded wait). */
async function spansOf(
  telemetry: Telemetry,
  path: string,
  expected: boolean,
): Promise<ReadableSpan[]> {
  const mine = () => telemetry.spans().filter((span) => span.attributes['url.path'] === path);
  if (expected) await waitFor(() => mine().length > 0, 2_000);
  return mine();
}

async function check(
  property: fc.IAsyncProperty<[Omit<FuzzRequest, 'id'>]>,
  runs: number,
  seed: number,
): Promise<string | undefined> {
  const details = await fc.check(property, {
    numRuns: runs,
    seed,
    interruptAfterTimeLimit: 120_000,
  });
  if (!details.failed) return undefined;
  const error =
    details.errorInstance instanceof Error
      ? details.errorInstance.message
      : String(details.errorInstance);
  return `seed ${seed}, path ${details.counterexamplePath}: ${error}\ncounterexample: ${fc.stringify(details.counterexample).slice(0, 2_000)}`;
}
