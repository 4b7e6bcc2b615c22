import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A reader that exports nothing by itself: tests call `collect()` when they want the figures. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * The real SDK registered globally, as `startTelemetry` would, with spans kept in memory and
 * metrics collected on demand: the examples use the global providers.
 */
export function registerTestSdk() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  return {
    /** The ended spans of one trace, once `until` holds for them (bounded wait). */
    async spansOf(
      traceId: string,
      until: (spans: ReadableSpan[]) => boolean = (spans) => spans.some((span) => span.kind === 1),
    ): Promise<ReadableSpan[]> {
      const ofTrace = () =>
        exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
      for (let i = 0; i < 200 && !until(ofTrace()); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return ofTrace();
    },
    /** The data points of the request duration histogram, from a fresh collection. */
    async durationPoints(): Promise<DataPoint<Histogram>[]> {
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .find((candidate) => candidate.descriptor.name === 'http.server.request.duration');
      return (metric?.dataPoints ?? []) as DataPoint<Histogram>[];
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}
