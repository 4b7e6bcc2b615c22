import { describeError, logger } from './diag.js';

/**
 * Reports dropped and failed spans through the diagnostic logger without flooding it: the first
 * problem is reported at once, later ones are summed and reported at most once per interval.
 */
export class ExportProblemReporter {
  private readonly label: string;
  private readonly capacity: number;
  private readonly intervalMillis: number;
  private pendingDropped = 0;
  private pendingFailed = 0;
  private lastError: unknown;
  private totalDropped = 0;
  private totalFailed = 0;
  private lastReportAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(label: string, capacity: number, intervalMillis: number) {
    this.label = label;
    this.capacity = capacity;
    this.intervalMillis = intervalMillis;
  }

  /** Spans dropped because the queue was full. */
  dropped(count: number): void {
    this.pendingDropped += count;
    this.totalDropped += count;
    this.schedule();
  }

  /** Spans whose export failed or timed out. */
  failed(count: number, error: unknown): void {
    this.pendingFailed += count;
    this.totalFailed += count;
    this.lastError = error;
    this.schedule();
  }

  /** Reports what is pending now (at shutdown). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.report();
  }

  private schedule(): void {
    const wait = this.lastReportAt + this.intervalMillis - performance.now();
    if (wait <= 0) {
      this.report();
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.report();
    }, wait);
    this.timer.unref?.();
  }

  private report(): void {
    if (this.pendingDropped === 0 && this.pendingFailed === 0) return;
    this.lastReportAt = performance.now();
    if (this.pendingDropped > 0) {
      logger.warn(
        `${this.label} span export queue is full (${this.capacity} spans): dropped ${this.pendingDropped} ` +
          `span(s), ${this.totalDropped} in total. The exporter is not keeping up or its collector is unreachable; ` +
          'requests are not affected.',
      );
    }
    if (this.pendingFailed > 0) {
      logger.warn(
        `${this.label} span export failed for ${this.pendingFailed} span(s), ${this.totalFailed} in total: ` +
          describeError(this.lastError),
      );
    }
    this.pendingDropped = 0;
    this.pendingFailed = 0;
    this.lastError = undefined;
  }
}
