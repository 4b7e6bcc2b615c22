/**
 * Builds the SDK objects a resolved configuration names. No global is touched here.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Attributes, TextMapPropagator } from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  ConsoleMetricExporter,
  type IMetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import {
  RedMetricProducer,
  StrictW3CBaggagePropagator,
  StrictW3CTraceContextPropagator,
} from '@otel-http/core';
import { AdjustableRatioSampler } from './adjustable-sampler.js';
import { BoundedBatchSpanProcessor } from './bounded-span-processor.js';
import type { ResolvedTelemetryConfig, SamplerChoice, W3CPropagatorName } from './config.js';
import { CompactConsoleSpanExporter } from './console-exporter.js';
import { OtlpExemplarMetricExporter } from './otlp-exemplars.js';
import { PrometheusEndpoint } from './prometheus-endpoint.js';

/** Console lines should appear while one is still looking at the request that made them. */
const CONSOLE_EXPORT_DELAY_MILLIS = 500;

/**
 * The SDK's default resource (`telemetry.sdk.*`, a default `service.name`), facts about this
 * process, then the configured attributes, which win.
 */
export function buildResource(attributes: Attributes): Resource {
  return defaultResource().merge(
    resourceFromAttributes({
      'service.instance.id': randomUUID(),
      'host.name': hostname(),
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      ...attributes,
    }),
  );
}

/**
 * The sampler a choice names. The ratio samplers get an {@link AdjustableRatioSampler} as their
 * (root) ratio sampler, returned as `adjustable` so that the ratio can be changed at run time.
 */
export function buildSampler(choice: SamplerChoice): {
  sampler: Sampler;
  adjustable: AdjustableRatioSampler | undefined;
} {
  switch (choice.kind) {
    case 'custom':
      return { sampler: choice.sampler, adjustable: undefined };
    case 'always_on':
      return { sampler: new AlwaysOnSampler(), adjustable: undefined };
    case 'always_off':
      return { sampler: new AlwaysOffSampler(), adjustable: undefined };
    case 'parentbased_always_on':
      return {
        sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
        adjustable: undefined,
      };
    case 'parentbased_always_off':
      return {
        sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
        adjustable: undefined,
      };
    case 'traceidratio': {
      const adjustable = new AdjustableRatioSampler(choice.ratio);
      return { sampler: adjustable, adjustable };
    }
    case 'parentbased_traceidratio': {
      const adjustable = new AdjustableRatioSampler(choice.ratio);
      return { sampler: new ParentBasedSampler({ root: adjustable }), adjustable };
    }
  }
}

/** One bounded queue per span exporter, named or given. */
export function buildSpanQueues(config: ResolvedTelemetryConfig): BoundedBatchSpanProcessor[] {
  return config.traces.map((entry) => {
    const exporter: SpanExporter =
      entry === 'otlp'
        ? new OTLPTraceExporter({
            url: config.otlp.tracesUrl,
            headers: { ...config.otlp.headers },
            ...(config.otlp.timeoutMillis !== undefined && {
              timeoutMillis: config.otlp.timeoutMillis,
            }),
          })
        : entry === 'console'
          ? new CompactConsoleSpanExporter()
          : entry === 'zipkin'
            ? new ZipkinExporter(config.zipkinEndpoint ? { url: config.zipkinEndpoint } : {})
            : entry;
    const queue = config.exportQueue;
    return new BoundedBatchSpanProcessor(exporter, {
      maxQueueSize: queue.maxQueueSize,
      maxExportBatchSize: queue.maxExportBatchSize,
      scheduledDelayMillis:
        queue.scheduledDelayMillis ?? (entry === 'console' ? CONSOLE_EXPORT_DELAY_MILLIS : 5000),
      exportTimeoutMillis: queue.exportTimeoutMillis,
      label: typeof entry === 'string' ? entry : exporter.constructor.name,
    });
  });
}

/** The metric readers, and the Prometheus endpoint when there is one (it has to be closed). */
export function buildMetricReaders(config: ResolvedTelemetryConfig): {
  readers: IMetricReader[];
  prometheus: PrometheusEndpoint | undefined;
} {
  let prometheus: PrometheusEndpoint | undefined;
  // otel-http's RED metrics come from its own producer, one per reader, when every reader is one
  // built here; next to a reader of the application's, the adapters use the API instruments.
  const ownReaders = config.metrics.every((entry) => typeof entry === 'string');
  const producers = () => (ownReaders ? { metricProducers: [new RedMetricProducer()] } : {});
  const periodic = (exporter: PushMetricExporter): IMetricReader =>
    new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: config.metricExportIntervalMillis,
      exportTimeoutMillis: config.metricExportTimeoutMillis,
      ...producers(),
    });
  const readers = config.metrics.map((entry): IMetricReader => {
    if (entry === 'prometheus') {
      prometheus = new PrometheusEndpoint({ ...config.prometheus, ...producers() });
      return prometheus.reader;
    }
    if (entry === 'otlp') {
      return periodic(
        new OtlpExemplarMetricExporter({
          url: config.otlp.metricsUrl,
          headers: { ...config.otlp.headers },
          ...(config.otlp.timeoutMillis !== undefined && {
            timeoutMillis: config.otlp.timeoutMillis,
          }),
        }),
      );
    }
    if (entry === 'console') return periodic(new ConsoleMetricExporter());
    return entry;
  });
  return { readers, prometheus };
}

/** The propagator given, or W3C trace context and/or baggage (strict or the SDK's). */
export function buildPropagator(choice: ResolvedTelemetryConfig['propagator']): TextMapPropagator {
  if (!Array.isArray(choice)) return choice as TextMapPropagator;
  return new CompositePropagator({
    propagators: (choice as readonly W3CPropagatorName[]).map(w3cPropagator),
  });
}

function w3cPropagator(name: W3CPropagatorName): TextMapPropagator {
  switch (name) {
    case 'tracecontext':
      return new StrictW3CTraceContextPropagator();
    case 'baggage':
      return new StrictW3CBaggagePropagator();
    case 'tracecontext-sdk':
      return new W3CTraceContextPropagator();
    case 'baggage-sdk':
      return new W3CBaggagePropagator();
  }
}
