import { context, propagation } from '@opentelemetry/api';
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
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { OtelHttpOptions } from '@otel-http/core';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { otel } from '../src/index.js';

/** A reader the tests `collect()` from when they want to look at the metrics. */
class TestMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

// Fastify carries the async context through its lifecycle with AsyncLocalStorage; the API needs a
// context manager built on it, as every Node SDK setup registers.
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
propagation.setGlobalPropagator(
  new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
);

/** The real SDK with in-memory exporters: what a test reads the telemetry from. */
export interface Telemetry {
  readonly exporter: InMemorySpanExporter;
  readonly options: OtelHttpOptions;
  /** Finished server spans, oldest first. */
  spans(): ReadableSpan[];
  /** Waits (bounded) until `count` spans have finished, then returns them. */
  waitForSpans(count: number): Promise<ReadableSpan[]>;
  /** Data points of a histogram such as `http.server.request.duration`. */
  histogram(name: string): Promise<DataPoint<Histogram>[]>;
  /** The summed value of an up-down counter such as `http.server.active_requests`. */
  counterTotal(name: string): Promise<number>;
}

export function createTelemetry(): Telemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new TestMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });

  async function metric(name: string) {
    const { resourceMetrics } = await reader.collect();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const found of scope.metrics) {
        if (found.descriptor.name === name) return found;
      }
    }
    return undefined;
  }

  const telemetry: Telemetry = {
    exporter,
    options: { tracerProvider, meterProvider },
    spans: () => exporter.getFinishedSpans(),
    async waitForSpans(count) {
      for (
        let attempt = 0;
        attempt < 200 && exporter.getFinishedSpans().length < count;
        attempt++
      ) {
        await sleep(10);
      }
      return exporter.getFinishedSpans();
    },
    async histogram(name) {
      return ((await metric(name))?.dataPoints ?? []) as DataPoint<Histogram>[];
    },
    async counterTotal(name) {
      const points = ((await metric(name))?.dataPoints ?? []) as DataPoint<number>[];
      return points.reduce((total, point) => total + point.value, 0);
    },
  };
  return telemetry;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A Fastify app on a loopback port, with the plugin registered first. */
export interface TestApp {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly port: number;
}

/**
 * Builds an app: `otel` registered first with the telemetry's providers plus `options`, then
 * `routes`, then listening on 127.0.0.1 port 0. `close` it in `afterEach`.
 */
export async function startApp(
  telemetry: Telemetry,
  routes: (app: FastifyInstance) => void | Promise<void>,
  options: OtelHttpOptions = {},
  serverOptions: FastifyServerOptions = {},
): Promise<TestApp> {
  // Closing must not wait for sockets a client left open (fetch reconnects after an abort).
  const app = Fastify({ forceCloseConnections: true, ...serverOptions });
  await app.register(otel, { ...telemetry.options, ...options });
  await routes(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { app, url, port };
}

/** The exported server span named `name`; fails the test when there is not exactly one. */
export function onlySpan(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const matching = spans.filter((span) => span.name === name);
  if (matching.length !== 1) {
    throw new Error(
      `expected one span named "${name}", got ${matching.length}: ${spans.map((s) => s.name).join(', ')}`,
    );
  }
  return matching[0] as ReadableSpan;
}
