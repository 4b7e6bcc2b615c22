import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  createServerInstrumentation,
  type OtelHttpOptions,
  type RequestHandle,
} from '../src/index.js';
import { startNodeRequest } from '../src/node.js';

/** A metric reader the test collects from on demand. */
export class TestMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Real SDK providers with in-memory export, passed to the instrumentation through options. */
export function createTelemetry(sampler?: Sampler) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ...(sampler ? { sampler } : {}),
  });
  const reader = new TestMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    exporter,
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    /** Waits (bounded) until `count` spans have ended. */
    async waitForSpans(count: number, timeoutMs = 3000): Promise<ReadableSpan[]> {
      const deadline = Date.now() + timeoutMs;
      while (exporter.getFinishedSpans().length < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return exporter.getFinishedSpans();
    },
    /** Every scope's metrics, collected now. */
    async scopeMetrics() {
      return (await reader.collect()).resourceMetrics.scopeMetrics;
    },
    async metric(name: string) {
      const { resourceMetrics } = await reader.collect();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) if (metric.descriptor.name === name) return metric;
      }
      return undefined;
    },
    async histogramPoints(name: string): Promise<DataPoint<Histogram>[]> {
      return ((await this.metric(name))?.dataPoints ?? []) as DataPoint<Histogram>[];
    },
  };
}

/** Registers the global context manager and W3C propagators for the file's tests. */
export function registerGlobals(): () => void {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  return () => {
    context.disable();
    propagation.disable();
  };
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  handle: RequestHandle | undefined,
) => void | Promise<void>;

/**
 * A plain `node:http` server instrumented the way a Node adapter does it: `startNodeRequest`, the
 * handler in the handle's context, errors reported to the handle and answered with 500.
 */
export async function startServer(options: OtelHttpOptions, handler: Handler) {
  const instrumentation = createServerInstrumentation(options);
  const server: Server = createServer((req, res) => {
    const handle = startNodeRequest(instrumentation, req, res);
    const run = async () => {
      try {
        await handler(req, res, handle);
      } catch (error) {
        handle?.recordError(error);
        if (!res.headersSent) res.writeHead(500).end('internal error');
      }
    };
    if (handle) context.with(handle.context, run);
    else void run();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
