import { type AttributeValue, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Settings of {@link CompactConsoleSpanExporter}. */
export interface CompactConsoleSpanExporterOptions {
  /** Where lines go. Default: standard output. */
  write?: (line: string) => void;
  /** Longest attribute value shown; longer ones are cut with `…`. Default 200 characters. */
  maxValueLength?: number;
}

const KIND_NAMES: Record<SpanKind, string> = {
  [SpanKind.INTERNAL]: 'INTERNAL',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};

/**
 * Writes one readable line per span, for development and the embedded default:
 *
 * ```text
 * 12:00:00.123 SERVER "GET /users/:id" 3.21ms trace_id=4bf9… span_id=00f0… parent_id=- http.route=/users/:id …
 * ```
 *
 * The ids are complete, so a line can be matched with log lines carrying the same `trace_id`.
 */
export class CompactConsoleSpanExporter implements SpanExporter {
  private readonly write: (line: string) => void;
  private readonly maxValueLength: number;

  constructor(options: CompactConsoleSpanExporterOptions = {}) {
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.maxValueLength = options.maxValueLength ?? 200;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      for (const span of spans) this.write(this.format(span));
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      resultCallback({
        code: ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** The line of one span (without the line break). */
  format(span: ReadableSpan): string {
    const { traceId, spanId } = span.spanContext();
    const parts = [
      new Date(hrTimeToMilliseconds(span.startTime)).toISOString().slice(11, 23),
      KIND_NAMES[span.kind] ?? 'INTERNAL',
      JSON.stringify(span.name),
      `${hrTimeToMilliseconds(span.duration).toFixed(2)}ms`,
    ];
    if (span.status.code === SpanStatusCode.ERROR) parts.push('ERROR');
    parts.push(
      `trace_id=${traceId}`,
      `span_id=${spanId}`,
      `parent_id=${span.parentSpanContext?.spanId ?? '-'}`,
    );
    for (const [key, value] of Object.entries(span.attributes)) {
      if (value !== undefined) parts.push(`${key}=${this.formatValue(value)}`);
    }
    const events = span.events.length;
    if (events > 0) parts.push(`events=${span.events.map((event) => event.name).join(',')}`);
    return parts.join(' ');
  }

  private formatValue(value: AttributeValue): string {
    let text = Array.isArray(value) ? `[${value.map(String).join(',')}]` : String(value);
    if (text.length > this.maxValueLength) text = `${text.slice(0, this.maxValueLength)}…`;
    // Quote only what would otherwise be ambiguous on one space-separated line.
    return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
  }
}
