import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * Keeps counts instead of spans, so that load scenarios measure the instrumentation and not a
 * growing in-memory exporter: how many spans started and ended, the distinct names and routes
 * (capped), and the outcome of an optional per-span check.
 */
export class CountingSpanProcessor implements SpanProcessor {
  started = 0;
  ended = 0;
  /** Spans with status ERROR. */
  errors = 0;
  readonly names = new Map<string, number>();
  readonly errorTypes = new Map<string, number>();
  readonly problems: string[] = [];
  private readonly check: ((span: ReadableSpan) => string | undefined) | undefined;

  constructor(check?: (span: ReadableSpan) => string | undefined) {
    this.check = check;
  }

  onStart(_span: Span, _parentContext: Context): void {
    this.started++;
  }

  onEnd(span: ReadableSpan): void {
    this.ended++;
    if (span.status.code === 2) this.errors++;
    bump(this.names, span.name);
    const type = span.attributes['error.type'];
    if (type !== undefined) bump(this.errorTypes, String(type));
    const problem = this.check?.(span);
    if (problem !== undefined && this.problems.length < 20) this.problems.push(problem);
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function bump(map: Map<string, number>, key: string): void {
  const count = map.get(key);
  if (count !== undefined) map.set(key, count + 1);
  // Past the cap, new keys are lumped together: the count of distinct keys is what matters.
  else if (map.size < 1_000) map.set(key, 1);
  else map.set('(more)', (map.get('(more)') ?? 0) + 1);
}
