import { type Context, context, TraceFlags } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type {
  ReadableSpan,
  Span,
  SpanExporter,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ExportProblemReporter } from './export-problems.js';
import type { ExportStats } from './options.js';

/** Settings of {@link BoundedBatchSpanProcessor}. */
export interface BoundedBatchSpanProcessorOptions {
  /** Spans held at most; more are dropped and counted. Default 2048. */
  maxQueueSize?: number;
  /** Spans per export call. Default 512. */
  maxExportBatchSize?: number;
  /** Delay before a batch that is not full is exported. Default 5000 ms. */
  scheduledDelayMillis?: number;
  /** How long one export may take before it counts as failed and the queue moves on. Default 30 000 ms. */
  exportTimeoutMillis?: number;
  /** Name of the exporter in diagnostic messages (`otlp`, `console`). */
  label?: string;
  /** Shortest time between two reports of drops or failures. Default 10 000 ms. */
  reportIntervalMillis?: number;
}

/**
 * Exports of a stuck exporter that may be outstanding at once. Each holds at most one batch, so
 * memory stays bounded by the queue plus this many batches whatever the exporter does.
 */
const MAX_UNFINISHED_EXPORTS = 3;

/**
 * A batching span processor whose queue is bounded and whose drops are counted. Ending a span costs
 * an array push; export runs on a timer, one batch at a time, so a slow or unreachable collector
 * never slows or fails the request that ended the span. When the queue is full, new spans are
 * dropped, counted in {@link stats} and reported through the diagnostic logger (first drop at once,
 * then at most once per report interval).
 */
export class BoundedBatchSpanProcessor implements SpanProcessor {
  private readonly exporter: SpanExporter;
  private readonly maxQueueSize: number;
  private readonly batchSize: number;
  private readonly delay: number;
  private readonly exportTimeout: number;
  private readonly reporter: ExportProblemReporter;
  private queue: ReadableSpan[] = [];
  private active: Promise<void> | undefined;
  private unfinished = 0;
  private slotWaiters: Array<() => void> = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerDue = Number.POSITIVE_INFINITY;
  private closed: Promise<void> | undefined;
  private counts = { dropped: 0, exported: 0, failed: 0 };

  constructor(exporter: SpanExporter, options: BoundedBatchSpanProcessorOptions = {}) {
    this.exporter = exporter;
    this.maxQueueSize = Math.max(1, options.maxQueueSize ?? 2048);
    this.batchSize = Math.min(Math.max(1, options.maxExportBatchSize ?? 512), this.maxQueueSize);
    this.delay = Math.max(0, options.scheduledDelayMillis ?? 5000);
    this.exportTimeout = Math.max(1, options.exportTimeoutMillis ?? 30_000);
    this.reporter = new ExportProblemReporter(
      options.label ?? 'the',
      this.maxQueueSize,
      options.reportIntervalMillis ?? 10_000,
    );
  }

  /** Queue and export counters since this processor was created. */
  stats(): ExportStats {
    return { queued: this.queue.length, ...this.counts };
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.closed !== undefined) return;
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queue.length >= this.maxQueueSize) {
      this.counts.dropped++;
      this.reporter.dropped(1);
      return;
    }
    this.queue.push(span);
    this.schedule(this.queue.length >= this.batchSize ? 0 : this.delay);
  }

  forceFlush(): Promise<void> {
    return this.closed ?? this.flushAll();
  }

  shutdown(): Promise<void> {
    this.closed ??= (async () => {
      this.clearTimer();
      try {
        await this.flushAll();
      } finally {
        this.reporter.flush();
        await this.exporter.shutdown();
      }
    })();
    return this.closed;
  }

  /** Exports what is queued now, batch after batch. Spans arriving meanwhile wait for the timer. */
  private async flushAll(): Promise<void> {
    let rounds = Math.ceil(this.queue.length / this.batchSize) + 1;
    while (rounds-- > 0 && (this.queue.length > 0 || this.active !== undefined)) {
      await (this.active ?? this.exportNextBatch());
    }
  }

  /** Arms the timer to fire within `delay` (sooner than an armed one if need be). */
  private schedule(delay: number): void {
    if (this.closed !== undefined) return;
    const due = performance.now() + delay;
    if (this.timer !== undefined && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
      void this.exportNextBatch().then(() => {
        if (this.queue.length > 0)
          this.schedule(this.queue.length >= this.batchSize ? 0 : this.delay);
      });
    }, delay);
    // Pending telemetry alone must not keep the process alive; shutdown() flushes it.
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  /** Starts exporting the next batch unless an export is running; resolves when it settles. */
  private exportNextBatch(): Promise<void> {
    if (this.active !== undefined) return this.active;
    if (this.queue.length === 0) return Promise.resolve();
    this.active = this.waitForSlot()
      .then((free) => {
        const batch = this.queue.splice(0, this.batchSize);
        if (batch.length === 0) return undefined;
        if (!free) {
          // The exporter has stopped answering: give the batch up rather than wait forever.
          this.counts.failed += batch.length;
          this.reporter.failed(
            batch.length,
            new Error(`the exporter has not answered its last ${MAX_UNFINISHED_EXPORTS} exports`),
          );
          return undefined;
        }
        return this.send(batch);
      })
      .finally(() => {
        this.active = undefined;
      });
    return this.active;
  }

  /** Resolves `true` when an export may start, `false` if none could within the export timeout. */
  private waitForSlot(): Promise<boolean> {
    if (this.unfinished < MAX_UNFINISHED_EXPORTS) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.slotWaiters = this.slotWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, this.exportTimeout);
      timer.unref?.();
      this.slotWaiters.push(waiter);
    });
  }

  /** One export call, settled by the exporter's callback or by the timeout, whichever is first. */
  private send(batch: ReadableSpan[]): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = (result: ExportResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        if (result.code === ExportResultCode.SUCCESS) {
          this.counts.exported += batch.length;
        } else {
          this.counts.failed += batch.length;
          this.reporter.failed(batch.length, result.error ?? new Error('export failed'));
        }
        resolve();
      };
      const timeout = setTimeout(
        () =>
          settle({
            code: ExportResultCode.FAILED,
            error: new Error(`export timed out after ${this.exportTimeout} ms`),
          }),
        this.exportTimeout,
      );
      timeout.unref?.();
      this.unfinished++;
      let calledBack = false;
      const finished = (result: ExportResult) => {
        if (calledBack) return;
        calledBack = true;
        this.unfinished--;
        this.slotWaiters.shift()?.();
        settle(result);
      };
      try {
        // Exporters may use instrumented clients: their requests must not become spans themselves.
        context.with(suppressTracing(context.active()), () =>
          this.exporter.export(batch, finished),
        );
      } catch (error) {
        finished({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    });
  }
}
