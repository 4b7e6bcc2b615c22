import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { HeaderCase } from '../corpus.js';
import type { Probe } from '../probe.js';
import { baggageViolations, parseTraceparent, traceStateViolations } from '../w3c.js';

/** The header values of `name` in a case, in order, with the whitespace HTTP removes removed. */
export function headerValues(headers: HeaderCase['headers'], name: string): string[] {
  return headers
    .filter(([key]) => key.toLowerCase() === name)
    .map(([, value]) => value.replace(/^[ \t]+|[ \t]+$/g, ''));
}

const TRACE_ID_PATTERN = /[0-9a-f]{32}/g;

/** `@opentelemetry/core` tolerates one whitespace character (JS `\s`, NBSP included) at each end. */
export const lenientTrim = (value: string) => value.replace(/^\s/, '').replace(/\s$/, '');

/**
 * Checks what the handler saw against the case's expectation and the general rules (a valid
 * tracestate of at most 32 members taken from what was sent; baggage within its limits; a new
 * trace never reusing an id the caller sent). Returns the problems found.
 */
export function checkProbe(testCase: HeaderCase, seen: Probe): string[] {
  const problems: string[] = [];
  const { expect } = testCase;
  const sentIds = new Set(
    testCase.headers.flatMap(([, value]) => value.slice(0, 4096).match(TRACE_ID_PATTERN) ?? []),
  );

  if (expect.trace === 'continue') {
    const [first] = headerValues(testCase.headers, 'traceparent');
    const parent =
      first === undefined
        ? undefined
        : parseTraceparent(testCase.deviation ? lenientTrim(first) : first);
    if (!parent) return [`corpus error: ${testCase.id} expects to continue an invalid traceparent`];
    if (seen.traceId !== parent.traceId)
      problems.push(`trace id ${seen.traceId}, expected the caller's ${parent.traceId}`);
    if (seen.spanId === parent.parentId) problems.push('the server span reused the caller span id');
    const sampled = (parent.flags & 1) === 1;
    if (seen.sampled !== sampled)
      problems.push(`sampled=${seen.sampled}, expected ${sampled} from the caller's flags`);
  } else {
    if (
      seen.traceId === undefined ||
      !/^[0-9a-f]{32}$/.test(seen.traceId) ||
      /^0+$/.test(seen.traceId)
    ) {
      problems.push(`no valid new trace id (${seen.traceId})`);
    } else if (sentIds.has(seen.traceId)) {
      problems.push(`continued trace ${seen.traceId} that the caller sent`);
    }
    if (!seen.sampled || !seen.recording)
      problems.push('a new root span should be sampled (AlwaysOn root)');
  }

  const traceState = seen.traceState ?? '';
  problems.push(...traceStateViolations(traceState).map((p) => `tracestate: ${p}`));
  if (traceState !== '') {
    const sent = new Set(
      headerValues(testCase.headers, 'tracestate')
        .join(',')
        .split(',')
        .map((member) => member.trim()),
    );
    for (const member of traceState.split(',')) {
      if (!sent.has(member))
        problems.push(`tracestate member ${member.slice(0, 60)} was never sent`);
    }
  }
  if (expect.traceState !== undefined && traceState !== (expect.traceState ?? '')) {
    problems.push(
      `tracestate ${JSON.stringify(traceState.slice(0, 120))}, expected ${JSON.stringify((expect.traceState ?? '').slice(0, 120))}`,
    );
  }

  problems.push(...baggageViolations(seen.baggage).map((p) => `baggage: ${p}`));
  if (expect.baggage !== undefined) {
    if ('count' in expect.baggage && typeof expect.baggage.count === 'number') {
      const count = Object.keys(seen.baggage).length;
      if (count !== expect.baggage.count)
        problems.push(`${count} baggage entries, expected ${expect.baggage.count}`);
    } else if (
      JSON.stringify(sortKeys(seen.baggage)) !==
      JSON.stringify(sortKeys(expect.baggage as Record<string, string>))
    ) {
      problems.push(
        `baggage ${JSON.stringify(seen.baggage).slice(0, 200)}, expected ${JSON.stringify(expect.baggage).slice(0, 200)}`,
      );
    }
  }
  return problems;
}

/** Checks the exported server span(s) of one case against what the handler saw. */
export function checkSpans(
  testCase: HeaderCase,
  seen: Probe,
  spans: readonly ReadableSpan[],
): string[] {
  if (!seen.sampled) {
    return spans.length === 0 ? [] : [`${spans.length} spans exported for an unsampled request`];
  }
  if (spans.length !== 1) return [`${spans.length} server spans, expected 1`];
  const [span] = spans as [ReadableSpan];
  const problems: string[] = [];
  if (span.spanContext().traceId !== seen.traceId)
    problems.push('exported span is not the one the handler saw');
  const parent = span.parentSpanContext;
  if (testCase.expect.trace === 'continue') {
    const [first] = headerValues(testCase.headers, 'traceparent');
    const expected = first === undefined ? undefined : parseTraceparent(lenientTrim(first));
    if (parent?.spanId !== expected?.parentId || parent?.isRemote !== true) {
      problems.push(`parent ${parent?.spanId}, expected the caller's ${expected?.parentId}`);
    }
  } else if (parent !== undefined) {
    problems.push(`a new trace has parent ${parent.spanId}`);
  }
  return problems;
}

function sortKeys(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
