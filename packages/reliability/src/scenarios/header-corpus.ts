/**
 * Sends every corpus case to a server as raw bytes over `node:net` (or through the Fetch API
 * path) and checks what the handler saw and what was exported.
 */
import { context } from '@opentelemetry/api';
import { createServerInstrumentation, requestInfoFromFetch } from '@otel-http/core';
import { rawBody, rawExchange, rawRequest, send } from '../client.js';
import type { HeaderCase } from '../corpus.js';
import { type Probe, probe } from '../probe.js';
import { honoApp, type RunningServer, type Target } from '../targets.js';
import { createTelemetry, type Telemetry } from '../telemetry.js';
import { checkProbe, checkSpans } from './header-rules.js';

export interface CaseResult {
  readonly id: string;
  readonly status: number | undefined;
  readonly problems: string[];
}

export interface CorpusResult {
  /** Where the corpus was sent (`express`, `fetch: core`, …). */
  readonly path: string;
  readonly results: CaseResult[];
  /** Cases the HTTP layer refused before the application (Node's parser, or `new Headers()`). */
  readonly refusedBeforeApp: number;
  /** Whether the server still answered a plain request after the corpus. */
  readonly serverAlive: boolean;
}

const pathOf = (index: number) => `/users/c${index}`;
/** Node's request-head limit for the cases that carry 64 KB values. */
export const LARGE_HEADER_LIMIT = 512 * 1024;

/** The corpus over HTTP/1.1 to one target; rejected-by-Node cases are checked as such. */
export async function runCorpusOverHttp(
  target: Target,
  cases: readonly HeaderCase[],
): Promise<CorpusResult> {
  const telemetry = createTelemetry();
  const normal = await target.start(telemetry.options);
  const large = await target.start(telemetry.options, { maxHeaderSize: LARGE_HEADER_LIMIT });
  try {
    const seen = new Map<number, Probe>();
    const results: CaseResult[] = [];
    let refused = 0;
    for (const [index, testCase] of cases.entries()) {
      const server: RunningServer = testCase.large ? large : normal;
      const reply = await rawExchange(
        server.port,
        rawRequest('GET', pathOf(index), testCase.headers),
      );
      const problems: string[] = [];
      if (testCase.rejectedByNode !== undefined) {
        refused++;
        if (reply.status !== testCase.rejectedByNode) {
          problems.push(`status ${reply.status}, expected Node's own ${testCase.rejectedByNode}`);
        }
      } else if (reply.status !== 200) {
        problems.push(
          `status ${reply.status}${reply.timedOut ? ' (timed out)' : ''}, expected 200`,
        );
      } else {
        const body = parseProbe(rawBody(reply.text));
        if (!body) problems.push('the response body is not the handler JSON');
        else {
          seen.set(index, body);
          problems.push(...checkProbe(testCase, body));
        }
      }
      results.push({ id: testCase.id, status: reply.status, problems });
    }
    await checkExportedSpans(telemetry, cases, seen, results);
    const serverAlive = (await send(`${normal.url}/users/alive`)).status === 200;
    return { path: target.name, results, refusedBeforeApp: refused, serverAlive };
  } finally {
    await Promise.all([normal.close(), large.close()]);
    await telemetry.shutdown();
  }
}

/**
 * The corpus through the Fetch API: `requestInfoFromFetch` + `instrumentation.start` (core alone),
 * or a Hono application's `app.request()` (the middleware's Fetch ending). Cases that `Headers`
 * itself refuses (control bytes) are counted, not sent.
 */
export async function runCorpusOverFetch(
  kind: 'core' | 'hono',
  cases: readonly HeaderCase[],
): Promise<CorpusResult> {
  const telemetry = createTelemetry();
  const instrumentation = createServerInstrumentation(telemetry.options);
  const app = honoApp(telemetry.options);
  try {
    const seen = new Map<number, Probe>();
    const results: CaseResult[] = [];
    let refused = 0;
    for (const [index, testCase] of cases.entries()) {
      if (testCase.rejectedByNode !== undefined) continue;
      let request: Request;
      try {
        const headers = new Headers();
        for (const [name, value] of testCase.headers) headers.append(name, value);
        request = new Request(`http://127.0.0.1${pathOf(index)}`, { headers });
      } catch {
        refused++;
        continue;
      }
      const problems: string[] = [];
      let status: number | undefined = 200;
      let body: Probe | undefined;
      if (kind === 'core') {
        const handle = instrumentation.start(requestInfoFromFetch(request));
        if (!handle) problems.push('the request was not instrumented');
        else {
          body = context.with(handle.context, probe);
          handle.end({ statusCode: 200 });
        }
      } else {
        const response = await app.request(request);
        status = response.status;
        body = parseProbe(await response.text());
      }
      if (status !== 200) problems.push(`status ${status}, expected 200`);
      else if (!body) problems.push('no handler JSON');
      else {
        seen.set(index, body);
        problems.push(...checkProbe(testCase, body));
      }
      results.push({ id: testCase.id, status, problems });
    }
    await checkExportedSpans(telemetry, cases, seen, results);
    return { path: `fetch: ${kind}`, results, refusedBeforeApp: refused, serverAlive: true };
  } finally {
    await telemetry.shutdown();
  }
}

async function checkExportedSpans(
  telemetry: Telemetry,
  cases: readonly HeaderCase[],
  seen: ReadonlyMap<number, Probe>,
  results: CaseResult[],
): Promise<void> {
  const sampled = [...seen.values()].filter((p) => p.sampled).length;
  const spans = await telemetry.waitForSpans(sampled);
  const byPath = new Map<string, typeof spans>();
  for (const span of spans) {
    const path = String(span.attributes['url.path']);
    byPath.set(path, [...(byPath.get(path) ?? []), span]);
  }
  for (const [index, body] of seen) {
    const testCase = cases[index] as HeaderCase;
    const result = results.find((r) => r.id === testCase.id);
    result?.problems.push(...checkSpans(testCase, body, byPath.get(pathOf(index)) ?? []));
  }
  // A refused request must leave no trace either.
  for (const [index, testCase] of cases.entries()) {
    if (testCase.rejectedByNode !== undefined && byPath.has(pathOf(index))) {
      results
        .find((r) => r.id === testCase.id)
        ?.problems.push('a span was recorded for a request Node refused');
    }
  }
}

function parseProbe(text: string): Probe | undefined {
  try {
    const value = JSON.parse(text) as Probe;
    return typeof value === 'object' && value !== null && 'baggage' in value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The cases with problems, one line each, for assertion messages and the report. */
export function failures(result: CorpusResult): string[] {
  return result.results
    .filter((r) => r.problems.length > 0)
    .map((r) => `${result.path} · ${r.id}: ${r.problems.join('; ')}`);
}
