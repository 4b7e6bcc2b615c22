/**
 * `@otel-http/node`: one call to wire the OpenTelemetry SDK for an HTTP service — providers,
 * exporters, sampling, resource, propagators, a bounded export queue, shutdown — plus log
 * correlation. The middleware packages (`@otel-http/express`, …) then use what it registered.
 */

export { AdjustableRatioSampler } from './adjustable-sampler.js';
export {
  BoundedBatchSpanProcessor,
  type BoundedBatchSpanProcessorOptions,
} from './bounded-span-processor.js';
export {
  CompactConsoleSpanExporter,
  type CompactConsoleSpanExporterOptions,
} from './console-exporter.js';
export { TelemetryConfigError } from './errors.js';
export { pinoTraceMixin, type TraceFields, traceFields } from './log-correlation.js';
export type {
  ExportQueueOptions,
  ExportStats,
  MetricReaderLike,
  MetricsExporterName,
  OtlpOptions,
  PrometheusOptions,
  SamplingControl,
  ShutdownSignal,
  Telemetry,
  TelemetryEndpoints,
  TelemetryLogLevel,
  TelemetryOptions,
  TracesExporterName,
} from './options.js';
export { startTelemetry } from './start-telemetry.js';
