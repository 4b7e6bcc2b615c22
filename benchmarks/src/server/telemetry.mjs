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
import { RedMetricProducer } from '@otel-http/core';
import { MODE_TRAITS } from '../matrix.mjs';

/** The modes that run otel-http's adapters. */
const OTEL_HTTP_MODES = new Set(['metrics', 'otel-http', 'otel-http-10%']);

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
 * @property {() => Promise<void>} flush Hands every pending span to the exporter.
 */

/**
 * The batch processor's export timer, when the server is counted under callgrind: long enough
 * never to fire, so the only exports are the flushes around the measured window (see main.mjs).
 * Otherwise the five-second timer of the default fired inside some windows and not in others,
 * and each firing moved Koa's 10 %-sampled count by 2.7 % (812,000 or 834,000 instructions per
 * request). With no export in the window it read 807,000 six times out of six; with the window
 * exporting its own spans, 813,800 within 0.07 %.
 */
const WINDOWED_EXPORT_DELAY_MS = 24 * 60 * 60 * 1000;

/**
 * Registers the SDK globally for every mode but `bare`, the way an application's telemetry setup
 * does before it loads its framework.
 *
 * @param {import('../matrix.mjs').Mode} mode
 * @param {{ windowed?: boolean }} [options] `windowed`: the server is counted in windows, which
 *   flush the spans themselves; the batch processor's timer is kept out of them.
 * @returns {Telemetry}
 */
export function startTelemetry(mode, { windowed = false } = {}) {
  if (mode === 'bare') {
    return {
      counts: async () => ({ spans: { server: 0, other: 0 }, durationPoints: 0 }),
      flush: async () => {},
    };
  }
  const exporter = new CountingSpanExporter();
  const ratio = MODE_TRAITS[mode].sampleRatio;
  const tracerProvider = new NodeTracerProvider({
    sampler: new ParentBasedSampler({
      root: new TraceIdRatioBasedSampler(ratio === 0 ? 1 : ratio),
    }),
    spanProcessors: [
      new BatchSpanProcessor(
        exporter,
        windowed ? { scheduledDelayMillis: WINDOWED_EXPORT_DELAY_MS } : undefined,
      ),
    ],
  });
  // Registers the AsyncLocalStorage context manager and the W3C propagators as well.
  tracerProvider.register();

  // Scrapes are not part of the benchmark: the reader aggregates in memory, as between scrapes.
  // otel-http's modes have its RED metric producer on the reader, as `@otel-http/node` sets it up.
  const reader = new PrometheusExporter({
    preventServerStart: true,
    ...(OTEL_HTTP_MODES.has(mode) && { metricProducers: [new RedMetricProducer()] }),
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);

  return {
    flush: () => tracerProvider.forceFlush(),
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
