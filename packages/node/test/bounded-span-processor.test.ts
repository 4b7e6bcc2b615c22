import { DiagLogLevel, diag, TraceFlags } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { BoundedBatchSpanProcessor } from '../src/bounded-span-processor.js';
import { captureDiag } from './support/globals.js';
import { waitFor } from './support/loopback.js';

/**
 * An exporter the test drives: it keeps each export's batch and callback, and answers only when
 * told — a collector that is slow, failing or gone, on demand.
 */
class GatedExporter implements SpanExporter {
  readonly calls: Array<{ spans: ReadableSpan[]; done: (result: ExportResult) => void }> = [];
  exported = 0;
  autoAnswer: ExportResult | undefined;

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.autoAnswer) {
      if (this.autoAnswer.code === ExportResultCode.SUCCESS) this.exported += spans.length;
      done(this.autoAnswer);
      return;
    }
    this.calls.push({ spans, done });
  }
  answer(index: number, result: ExportResult): void {
    const call = this.calls[index];
    if (!call) throw new Error(`no export call ${index}`);
    if (result.code === ExportResultCode.SUCCESS) this.exported += call.spans.length;
    call.done(result);
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const SUCCESS: ExportResult = { code: ExportResultCode.SUCCESS };

function setup(options: ConstructorParameters<typeof BoundedBatchSpanProcessor>[1]) {
  const exporter = new GatedExporter();
  const processor = new BoundedBatchSpanProcessor(exporter, options);
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('test');
  const endSpans = (count: number) => {
    for (let i = 0; i < count; i++) tracer.startSpan(`span ${i}`).end();
  };
  return { exporter, processor, provider, endSpans };
}

afterEach(() => {
  diag.disable();
});

describe('BoundedBatchSpanProcessor', () => {
  it('never calls the exporter while a span ends, even with a full batch', () => {
    const { exporter, processor, endSpans } = setup({
      maxExportBatchSize: 4,
      scheduledDelayMillis: 0,
    });
    endSpans(10);
    expect(exporter.calls).toHaveLength(0);
    expect(processor.stats().queued).toBe(10);
  });

  it('exports full batches without waiting for the delay, one export at a time', async () => {
    const { exporter, processor, endSpans } = setup({
      maxExportBatchSize: 4,
      scheduledDelayMillis: 60_000,
    });
    endSpans(10);
    await waitFor(() => exporter.calls.length === 1, 'the first export');
    expect(exporter.calls[0]?.spans).toHaveLength(4);
    exporter.answer(0, SUCCESS);
    await waitFor(() => exporter.calls.length === 2, 'the second export');
    exporter.answer(1, SUCCESS);
    // The last two do not make a batch: they wait for the (long) delay or a flush.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(exporter.calls).toHaveLength(2);
    expect(processor.stats()).toEqual({ queued: 2, dropped: 0, exported: 8, failed: 0 });
  });

  it('drops and counts spans beyond the queue, and reports them without flooding', async () => {
    const diagnostics = captureDiag();
    diag.setLogger(diagnostics.logger, {
      logLevel: DiagLogLevel.WARN,
      suppressOverrideMessage: true,
    });
    const { exporter, processor, endSpans } = setup({
      maxQueueSize: 10,
      maxExportBatchSize: 5,
      scheduledDelayMillis: 0,
      label: 'otlp',
      reportIntervalMillis: 60_000,
    });
    endSpans(10);
    await waitFor(() => exporter.calls.length === 1, 'an export to start');
    // 5 are in the (hanging) export, 5 queued: room for 5 more, the rest is dropped.
    endSpans(100);
    expect(processor.stats()).toEqual({ queued: 10, dropped: 95, exported: 0, failed: 0 });
    const reports = diagnostics.matching('span export queue is full');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain('otlp span export queue is full (10 spans): dropped 1 span(s)');
  });

  it('counts a failed export and carries on with the next batch', async () => {
    const diagnostics = captureDiag();
    diag.setLogger(diagnostics.logger, {
      logLevel: DiagLogLevel.WARN,
      suppressOverrideMessage: true,
    });
    const { exporter, processor, endSpans } = setup({
      maxExportBatchSize: 2,
      scheduledDelayMillis: 0,
    });
    endSpans(4);
    await waitFor(() => exporter.calls.length === 1, 'the first export');
    exporter.answer(0, { code: ExportResultCode.FAILED, error: new Error('collector said no') });
    await waitFor(() => exporter.calls.length === 2, 'the next export');
    exporter.answer(1, SUCCESS);
    await waitFor(() => processor.stats().exported === 2, 'the second batch');
    expect(processor.stats()).toEqual({ queued: 0, dropped: 0, exported: 2, failed: 2 });
    expect(diagnostics.matching('collector said no')).toHaveLength(1);
  });

  it('gives up on an export after its timeout and moves on', async () => {
    const { exporter, processor, endSpans } = setup({
      maxExportBatchSize: 1,
      scheduledDelayMillis: 0,
      exportTimeoutMillis: 20,
    });
    endSpans(2);
    await waitFor(() => exporter.calls.length === 2, 'the export after the timed-out one');
    expect(processor.stats().failed).toBe(1);
    // A late answer to the timed-out export changes nothing.
    exporter.answer(0, SUCCESS);
    exporter.answer(1, SUCCESS);
    await waitFor(() => processor.stats().exported === 1, 'the second export');
    expect(processor.stats()).toEqual({ queued: 0, dropped: 0, exported: 1, failed: 1 });
  });

  it('bounds the exports a stuck exporter can hold, and the queue with them', async () => {
    const { exporter, processor, endSpans } = setup({
      maxQueueSize: 4,
      maxExportBatchSize: 2,
      scheduledDelayMillis: 0,
      exportTimeoutMillis: 5,
    });
    for (let round = 0; round < 20; round++) {
      endSpans(2);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Three unanswered exports at most; every other span waited in the bounded queue, or was
    // given up as failed once no export could start within the export timeout.
    expect(exporter.calls).toHaveLength(3);
    const stats = processor.stats();
    expect(stats.queued).toBeLessThanOrEqual(4);
    expect(stats.failed).toBeGreaterThan(6);
    expect(stats.failed + stats.queued + stats.dropped).toBeGreaterThanOrEqual(40 - 2);
    // A flush does not wait forever for an exporter that stopped answering: the rest is given up.
    await processor.forceFlush();
    expect(processor.stats().queued).toBe(0);
    expect(exporter.calls).toHaveLength(3);
    const after = processor.stats();
    expect(after.failed + after.dropped).toBe(40);
  });

  it('flushes everything queued on forceFlush, batch by batch', async () => {
    const { exporter, processor, endSpans } = setup({
      maxExportBatchSize: 3,
      scheduledDelayMillis: 60_000,
    });
    exporter.autoAnswer = SUCCESS;
    endSpans(2);
    expect(exporter.exported).toBe(0);
    await processor.forceFlush();
    expect(exporter.exported).toBe(2);
    endSpans(7);
    await processor.forceFlush();
    expect(processor.stats()).toEqual({ queued: 0, dropped: 0, exported: 9, failed: 0 });
  });

  it('ignores unsampled spans and everything after shutdown', async () => {
    const exporter = new GatedExporter();
    exporter.autoAnswer = SUCCESS;
    const processor = new BoundedBatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 });
    const unsampled = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [processor],
    });
    unsampled.getTracer('t').startSpan('dropped by the sampler').end();
    expect(processor.stats().queued).toBe(0);
    await processor.shutdown();
    const late = new BasicTracerProvider({ spanProcessors: [processor] })
      .getTracer('t')
      .startSpan('late');
    expect(late.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(TraceFlags.SAMPLED);
    late.end();
    expect(processor.stats()).toEqual({ queued: 0, dropped: 0, exported: 0, failed: 0 });
  });
});
