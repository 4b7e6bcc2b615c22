import { context, propagation, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

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
  readonly #reader = new PullReader();

  /** @param sampler - The trace sampler; the SDK default (parent-based, always on) without it. */
  constructor(sampler?: Sampler) {
    this.tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(this.exporter)],
      ...(sampler ? { sampler } : {}),
    });
    this.meterProvider = new MeterProvider({ readers: [this.#reader] });
  }

  /** Every span exported so far. */
  spans(): ReadableSpan[] {
    return this.exporter.getFinishedSpans();
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
