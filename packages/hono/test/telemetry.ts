import { type Attributes, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
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

/** A metric reader that only reports when a test asks it to. */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Polls `condition` every 10 ms, at most `tries` times; resolves with its last value. */
export async function eventually(condition: () => boolean, tries = 300): Promise<boolean> {
  for (let i = 0; i < tries && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

/**
 * The real SDK: in-memory span export, an on-demand metric reader, and the AsyncLocalStorage
 * context manager that carries the server span across awaits (as on Node, Bun, Deno and Workers
 * with Node compatibility).
 */
export function createTelemetry() {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });

  /** Waits (bounded) for `count` ended spans and returns every ended span. */
  async function spans(count = 1): Promise<ReadableSpan[]> {
    await eventually(() => exporter.getFinishedSpans().length >= count);
    return exporter.getFinishedSpans();
  }

  /** The data points of one metric from a fresh collection (empty when it has none). */
  async function points<T = unknown>(name: string): Promise<DataPoint<T>[]> {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((candidate) => candidate.descriptor.name === name);
    return (metric?.dataPoints ?? []) as DataPoint<T>[];
  }

  /** The duration histogram's series: one entry per attribute set, with its count. */
  async function durationSeries(): Promise<Array<{ attributes: Attributes; count: number }>> {
    const found = await points<Histogram>('http.server.request.duration');
    return found.map((point) => ({ attributes: point.attributes, count: point.value.count }));
  }

  return {
    options: { tracerProvider, meterProvider },
    exporter,
    spans,
    points,
    durationSeries,
    /** Sum of `http.server.active_requests` over all its series. */
    async activeRequests(): Promise<number> {
      const found = await points<number>('http.server.active_requests');
      return found.reduce((sum, point) => sum + point.value, 0);
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      context.disable();
    },
  };
}

export type Telemetry = ReturnType<typeof createTelemetry>;
