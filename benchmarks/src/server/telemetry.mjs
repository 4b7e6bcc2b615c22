// The OpenTelemetry SDK as every instrumented mode sets it up: one tracer provider with a
// BatchSpanProcessor into an exporter that only counts, one meter provider with a Prometheus
// reader. Only the sampler differs between modes. The counts are what the server reports to the
// harness as proof that the instrumentation ran.

import { metrics, SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { MODE_TRAITS } from '../matrix.mjs';

/** The duration histogram of the stable HTTP semantic conventions, whoever records it. */
const DURATION_METRIC = 'http.server.request.duration';

/**
 * @typedef {import('@opentelemetry/sdk-trace-base').ReadableSpan} ReadableSpan
 * @typedef {import('@opentelemetry/sdk-trace-base').SpanExporter} SpanExporter
 */

/**
 * A span exporter that counts what it receives, so the SDK does all its real end-of-span and
 * batching work while the benchmark measures no serialisation or network.
 *
 * @implements {SpanExporter}
 */
export class CountingSpanExporter {
  server = 0;
  other = 0;

  /**
   * @param {ReadableSpan[]} spans
   * @param {(result: import('@opentelemetry/core').ExportResult) => void} done
   */
  export(spans, done) {
    for (const span of spans) {
      if (span.kind === SpanKind.SERVER) this.server++;
      else this.other++;
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown() {}

  async forceFlush() {}
}

/**
 * What the server tells the harness when asked, cumulative since it started.
 *
 * @typedef {object} TelemetryCounts
 * @property {{ server: number, other: number }} spans Spans exported, by kind.
 * @property {number} durationPoints Requests recorded by the request duration histogram.
 */

/**
 * @typedef {object} Telemetry
 * @property {() => Promise<TelemetryCounts>} counts Flushes pending spans, then counts.
 */

/**
 * Registers the SDK globally for every mode but `bare`, the way an application's telemetry setup
 * does before it loads its framework.
 *
 * @param {import('../matrix.mjs').Mode} mode
 * @returns {Telemetry}
 */
export function startTelemetry(mode) {
  if (mode === 'bare') {
    return { counts: async () => ({ spans: { server: 0, other: 0 }, durationPoints: 0 }) };
  }
  const exporter = new CountingSpanExporter();
  const ratio = MODE_TRAITS[mode].sampleRatio;
  const tracerProvider = new NodeTracerProvider({
    sampler: new ParentBasedSampler({
      root: new TraceIdRatioBasedSampler(ratio === 0 ? 1 : ratio),
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // Registers the AsyncLocalStorage context manager and the W3C propagators as well.
  tracerProvider.register();

  // Scrapes are not part of the benchmark: the reader aggregates in memory, as between scrapes.
  const reader = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);

  return {
    async counts() {
      await tracerProvider.forceFlush();
      const { resourceMetrics } = await reader.collect();
      let durationPoints = 0;
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.descriptor.name !== DURATION_METRIC) continue;
          for (const point of metric.dataPoints) {
            const value = /** @type {{ count?: number }} */ (point.value);
            durationPoints += value.count ?? 0;
          }
        }
      }
      return { spans: { server: exporter.server, other: exporter.other }, durationPoints };
    },
  };
}
