import {
  type MeterProvider as ApiMeterProvider,
  context,
  type DiagLogger,
  DiagLogLevel,
  diag,
  propagation,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  AggregationTemporality,
  type DataPoint,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { OtelHttpOptions } from '@otel-http/core';

/** The metric names core records, as the semantic conventions spell them. */
export const METRIC = {
  duration: 'http.server.request.duration',
  activeRequests: 'http.server.active_requests',
} as const;

let globalsRegistered = false;

/**
 * Registers what an application registers once: an async-hooks context manager and the W3C trace
 * context + baggage propagators. Idempotent within a process.
 */
export function registerGlobals(): void {
  if (globalsRegistered) return;
  globalsRegistered = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
}

/** A metric reader collected on demand, with cumulative temporality (series never disappear). */
export class OnDemandMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** What one scenario run records into: real SDK providers, passed to the middleware by options. */
export interface Telemetry {
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider;
  readonly reader: OnDemandMetricReader;
  /** Spans kept in memory; empty when the telemetry was created with other span processors. */
  readonly exporter: InMemorySpanExporter;
  /** Options to hand to `otel()`: the two providers. */
  readonly options: Pick<OtelHttpOptions, 'tracerProvider' | 'meterProvider'>;
  spans(): ReadableSpan[];
  /** Waits until at least `count` spans ended, or `timeoutMs` passed; returns the spans. */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReadableSpan[]>;
  collect(): Promise<ResourceMetrics>;
  /** Data points of one metric (all scopes), collected now. */
  points(name: string): Promise<DataPoint<unknown>[]>;
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  sampler?: Sampler;
  /** Span processors to use instead of the in-memory exporter (load scenarios). */
  spanProcessors?: SpanProcessor[];
}

/** Creates providers with in-memory export (or the given processors) and an on-demand reader. */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  registerGlobals();
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: options.spanProcessors ?? [new SimpleSpanProcessor(exporter)],
    ...(options.sampler ? { sampler: options.sampler } : {}),
  });
  const reader = new OnDemandMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const collect = async () => (await reader.collect()).resourceMetrics;
  return {
    tracerProvider,
    meterProvider,
    reader,
    exporter,
    options: { tracerProvider, meterProvider: meterProvider as ApiMeterProvider },
    spans: () => exporter.getFinishedSpans(),
    async waitForSpans(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (exporter.getFinishedSpans().length < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return exporter.getFinishedSpans();
    },
    collect,
    async points(name) {
      const points: DataPoint<unknown>[] = [];
      for (const scope of (await collect()).scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.descriptor.name === name)
            points.push(...(metric.dataPoints as DataPoint<unknown>[]));
        }
      }
      return points;
    },
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

/** Sum of `http.server.active_requests` over all its series (0 when nothing is in flight). */
export async function activeRequests(telemetry: Telemetry): Promise<number> {
  const points = await telemetry.points(METRIC.activeRequests);
  return points.reduce((sum, point) => sum + (point.value as number), 0);
}

/** Text for a logged argument; never throws (a thrown value may have a throwing `toString`). */
function describe(arg: unknown): string {
  try {
    return arg instanceof Error ? `${arg.name}: ${arg.message}` : String(arg);
  } catch {
    return '[unprintable value]';
  }
}

/** A diagnostic logger that keeps what it is told, to check that failures are reported. */
export class RecordingDiagLogger implements DiagLogger {
  readonly messages: Array<{ level: string; message: string }> = [];
  private record(level: string, message: string, args: unknown[]): void {
    // Bounded: a runaway loop must not turn the recorder into the leak.
    if (this.messages.length >= 10_000) return;
    const detail = args.map(describe);
    this.messages.push({ level, message: [message, ...detail].join(' ').slice(0, 2_000) });
  }
  error = (message: string, ...args: unknown[]) => this.record('error', message, args);
  warn = (message: string, ...args: unknown[]) => this.record('warn', message, args);
  info = (message: string, ...args: unknown[]) => this.record('info', message, args);
  debug = (message: string, ...args: unknown[]) => this.record('debug', message, args);
  verbose = (message: string, ...args: unknown[]) => this.record('verbose', message, args);

  /** Messages at `error` or `warn` level that contain `text`. */
  find(text: string): Array<{ level: string; message: string }> {
    return this.messages.filter((entry) => entry.message.includes(text));
  }
}

/**
 * Installs a recording diagnostic logger as the global one (replacing any other) and returns it
 * with a function that removes it again.
 */
export function recordDiagnostics(level = DiagLogLevel.WARN): {
  logger: RecordingDiagLogger;
  restore: () => void;
} {
  const logger = new RecordingDiagLogger();
  diag.setLogger(logger, { logLevel: level, suppressOverrideMessage: true });
  return { logger, restore: () => diag.disable() };
}
