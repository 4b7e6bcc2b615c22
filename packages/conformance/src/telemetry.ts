import { context, propagation, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  type DataPoint,
  type Histogram,
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
} from '@opentelemetry/sdk-trace-base';
import { RedMetricProducer } from '@otel-http/core';
import { histogramPoints, sumPoints, sumTotal } from './metrics.js';
import { sleep } from './routes.js';

/** A metric reader the checks pull from on demand (cumulative temporality, the SDK default). */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/**
 * The SDK of one check: a tracer provider exporting into memory and a meter provider read on
 * demand. Each check gets its own, handed to the adapter through the options, so no check sees
 * another's telemetry and nothing global is involved.
 */
export class CheckTelemetry {
  /** Receives every span the tracer provider ends (sampled spans only). */
  readonly exporter = new InMemorySpanExporter();
  /** Pass it as `options.tracerProvider`. */
  readonly tracerProvider: BasicTracerProvider;
  /** Pass it as `options.meterProvider`. */
  readonly meterProvider: MeterProvider;
  readonly #reader: PullReader;

  /**
   * @param sampler - The trace sampler; the SDK default (parent-based, always on) without it.
   * @param options - `redMetricProducer`: give the reader otel-http's `RedMetricProducer`, so
   *   that the adapters record the RED metrics there instead of through the API instruments.
   */
  constructor(sampler?: Sampler, options: { readonly redMetricProducer?: boolean } = {}) {
    this.#reader = new PullReader(
      options.redMetricProducer ? { metricProducers: [new RedMetricProducer()] } : {},
    );
    this.tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(this.exporter)],
      ...(sampler ? { sampler } : {}),
    });
    this.meterProvider = new MeterProvider({ readers: [this.#reader] });
  }

  /** Both providers, to spread into the adapter's options: `otel({ ...telemetry.options })`. */
  get options(): { tracerProvider: BasicTracerProvider; meterProvider: MeterProvider } {
    return { tracerProvider: this.tracerProvider, meterProvider: this.meterProvider };
  }

  /** Every span exported so far. */
  spans(): ReadableSpan[] {
    return this.exporter.getFinishedSpans();
  }

  /**
   * Waits until at least `count` spans have been exported, at most `timeoutMs` (default 3000),
   * and returns every span exported by then. It does not fail by itself: when the time runs out
   * it returns the fewer spans there are, and the test's own assertion says what is missing.
   */
  async waitForSpans(
    count = 1,
    { timeoutMs = 3000 }: { timeoutMs?: number } = {},
  ): Promise<ReadableSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.spans().length < count && Date.now() < deadline) await sleep(10);
    return this.spans();
  }

  /** The SERVER spans exported so far. */
  serverSpans(): ReadableSpan[] {
    return this.spans().filter((span) => span.kind === SpanKind.SERVER);
  }

  /** Collects the current (cumulative) metrics. */
  async collect(): Promise<ResourceMetrics> {
    const { resourceMetrics, errors } = await this.#reader.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
    return resourceMetrics;
  }

  /** The data points of the histogram `name` (`http.server.request.duration`, …), collected now. */
  async histogram(name: string): Promise<DataPoint<Histogram>[]> {
    return histogramPoints(await this.collect(), name);
  }

  /** The data points of the sum or up-down counter `name`, collected now. */
  async counter(name: string): Promise<DataPoint<number>[]> {
    return sumPoints(await this.collect(), name);
  }

  /** The sum of every series of the counter `name` (`http.server.active_requests`, …), or 0. */
  async counterTotal(name: string): Promise<number> {
    return sumTotal(await this.collect(), name);
  }

  /** Shuts both providers down; never rejects. */
  async shutdown(): Promise<void> {
    await Promise.allSettled([this.tracerProvider.shutdown(), this.meterProvider.shutdown()]);
  }
}

/**
 * Registers what an application's SDK setup would register globally: the async-hooks context
 * manager and the W3C trace-context + baggage propagator. Anything registered before is replaced
 * for the duration of the suite. Returns the function that unregisters them again.
 */
export function registerGlobals(): () => void {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager)) {
    context.disable();
    context.setGlobalContextManager(contextManager);
  }
  const propagator = new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
  if (!propagation.setGlobalPropagator(propagator)) {
    propagation.disable();
    propagation.setGlobalPropagator(propagator);
  }
  return () => {
    propagation.disable();
    context.disable();
  };
}
