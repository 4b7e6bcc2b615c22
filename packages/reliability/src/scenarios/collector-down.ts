/**
 * Collector down: the OTLP/HTTP (protobuf) exporter behind a BatchSpanProcessor points at a
 * loopback port where nothing listens. The requests must all succeed, memory must stay bounded
 * (the processor's queue is bounded; dropped spans are counted, not kept), and every span must be
 * accounted for: exported, failed in export, still queued, or dropped.
 */
import { Agent } from 'node:http';
import { createServer } from 'node:net';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  type BufferConfig,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { pool, send } from '../client.js';
import { type MemoryFigures, MemorySampler } from '../memory.js';
import { CountingSpanProcessor } from '../processors.js';
import type { Target } from '../targets.js';
import {
  activeRequests,
  createTelemetry,
  OnDemandMetricReader,
  recordDiagnostics,
} from '../telemetry.js';

/** A port on 127.0.0.1 that was free a moment ago and where nothing listens now. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Counts what the processor hands the exporter and how each export ends. */
class CountingExporter implements SpanExporter {
  handed = 0;
  succeeded = 0;
  failed = 0;
  exports = 0;
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.handed += spans.length;
    this.exports++;
    this.inner.export(spans, (result) => {
      if (result.code === 0) this.succeeded += spans.length;
      else this.failed += spans.length;
      done(result);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

export interface CollectorDownOptions {
  requests: number;
  concurrency?: number;
  /** BatchSpanProcessor settings; SDK defaults when absent (queue 2048, batch 512, 5 s). */
  batch?: BufferConfig;
  /** OTLP exporter timeout; its default (10 s) when absent. */
  exporterTimeoutMillis?: number;
  deadlineMs?: number;
}

export interface CollectorDownResult {
  target: string;
  requests: number;
  /** Requests answered with something else than 200, or not at all. Must be 0. */
  failedRequests: number;
  spansEnded: number;
  /** Spans the processor handed to the OTLP exporter, and how those exports ended. */
  handedToExporter: number;
  exportSucceeded: number;
  exportFailed: number;
  exportCalls: number;
  /** Still in the processor's queue at the end (bounded by its capacity). */
  queued: number;
  /** Dropped because the queue was full, per the SDK's own `otel.sdk.processor.span.processed`. */
  dropped: number;
  /** `spansEnded - handed - queued - dropped`: must be 0 (every span accounted for). */
  unaccounted: number;
  activeRequestsAtEnd: number;
  diagnosticWarnings: number;
  memory: MemoryFigures;
  durationMs: number;
  queueCapacity: number;
}

/** Runs the scenario against one target. */
export async function runCollectorDown(
  target: Target,
  options: CollectorDownOptions,
): Promise<CollectorDownResult> {
  const { requests, concurrency = 32, deadlineMs = 300_000 } = options;
  const port = await closedPort();
  const selfObsReader = new OnDemandMetricReader();
  const selfObs = new MeterProvider({ readers: [selfObsReader] });
  const exporter = new CountingExporter(
    new OTLPTraceExporter({
      url: `http://127.0.0.1:${port}/v1/traces`,
      ...(options.exporterTimeoutMillis ? { timeoutMillis: options.exporterTimeoutMillis } : {}),
    }),
  );
  const batch = new BatchSpanProcessor(exporter, {
    ...options.batch,
    // Experimental SDK option (not in the BufferConfig type yet): the processor's own metrics.
    selfObsMeterProvider: selfObs,
  } as BufferConfig);
  const counting = new CountingSpanProcessor();
  const telemetry = createTelemetry({ spanProcessors: [counting, batch] });
  const diagnostics = recordDiagnostics();
  const server = await target.start(telemetry.options);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const memory = new MemorySampler();
  let failedRequests = 0;
  try {
    await memory.start();
    const started = Date.now();
    const run = await pool(
      requests,
      concurrency,
      async (i) => {
        const reply = await send(`${server.url}/users/${i}`, { agent });
        if (reply.status !== 200) failedRequests++;
      },
      deadlineMs,
    );
    failedRequests += run.results.filter((r) => r.error !== undefined).length + run.skipped;
    const durationMs = Date.now() - started;
    agent.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const figures = await memory.stop();

    const selfMetrics = (await selfObsReader.collect()).resourceMetrics.scopeMetrics.flatMap(
      (s) => s.metrics,
    );
    const processed = selfMetrics.find(
      (m) => m.descriptor.name === 'otel.sdk.processor.span.processed',
    );
    const dropped = (processed?.dataPoints ?? [])
      .filter((p) => p.attributes['error.type'] === 'queue_full')
      .reduce((sum, p) => sum + (p.value as number), 0);
    const queueSize = selfMetrics.find(
      (m) => m.descriptor.name === 'otel.sdk.processor.span.queue.size',
    );
    const queued = (queueSize?.dataPoints ?? []).reduce((sum, p) => sum + (p.value as number), 0);
    const capacity = selfMetrics.find(
      (m) => m.descriptor.name === 'otel.sdk.processor.span.queue.capacity',
    );

    return {
      target: target.name,
      requests,
      failedRequests,
      spansEnded: counting.ended,
      handedToExporter: exporter.handed,
      exportSucceeded: exporter.succeeded,
      exportFailed: exporter.failed,
      exportCalls: exporter.exports,
      queued,
      dropped,
      unaccounted: counting.ended - exporter.handed - queued - dropped,
      activeRequestsAtEnd: await activeRequests(telemetry),
      diagnosticWarnings: diagnostics.logger.messages.length,
      memory: figures,
      durationMs,
      queueCapacity: (capacity?.dataPoints ?? []).reduce((sum, p) => sum + (p.value as number), 0),
    };
  } finally {
    diagnostics.restore();
    agent.destroy();
    await server.close();
    // The exporter may still be retrying against the closed port: do not wait for it.
    void Promise.allSettled([telemetry.shutdown(), selfObs.shutdown()]);
  }
}
