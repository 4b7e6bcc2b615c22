import type {
  Attributes,
  DiagLogger,
  MeterProvider,
  TextMapPropagator,
  TracerProvider,
} from '@opentelemetry/api';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type {
  Sampler,
  SpanExporter,
  SpanLimits,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * A metric reader, described by what the SDK calls on it (`IMetricReader` of
 * `@opentelemetry/sdk-metrics`), not by the `MetricReader` class: a `PrometheusExporter` or
 * `PeriodicExportingMetricReader` built on another copy of the SDK (an exporter that pins a
 * different patch release, say) has that class's private fields under a separate declaration and
 * would not be assignable to it, though it works.
 */
export type MetricReaderLike = IMetricReader;

/**
 * A signal name as `process.on` takes it (`SIGTERM`, `SIGINT`, `SIGHUP`, …). Spelled out here so
 * that these declarations need no `@types/node`; Node's `NodeJS.Signals` values are assignable.
 */
export type ShutdownSignal = `SIG${string}`;

/** Span exporters selectable by name (`OTEL_TRACES_EXPORTER` uses the same names). */
export type TracesExporterName = 'otlp' | 'console' | 'zipkin' | 'none';

/** Metric exporters selectable by name (`OTEL_METRICS_EXPORTER` uses the same names). */
export type MetricsExporterName = 'prometheus' | 'otlp' | 'console' | 'none';

/** Where the Prometheus scrape endpoint listens. */
export interface PrometheusOptions {
  /** Interface to bind. Default: `OTEL_EXPORTER_PROMETHEUS_HOST`, else all interfaces. */
  host?: string;
  /** Port; `0` picks a free one. Default: `OTEL_EXPORTER_PROMETHEUS_PORT`, else `9464`. */
  port?: number;
  /** Path of the endpoint. Default `/metrics`. */
  path?: string;
}

/** Where and how OTLP data is sent (http/protobuf). */
export interface OtlpOptions {
  /**
   * Base URL of the collector; `/v1/traces` and `/v1/metrics` are appended. Default:
   * `OTEL_EXPORTER_OTLP_ENDPOINT`, else `http://localhost:4318`. The signal-specific
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `_METRICS_ENDPOINT` are used as they are.
   */
  endpoint?: string;
  /** Full URL for spans, used as is. Wins over {@link endpoint}. */
  tracesEndpoint?: string;
  /** Full URL for metrics, used as is. Wins over {@link endpoint}. */
  metricsEndpoint?: string;
  /** Headers sent with every export (added to `OTEL_EXPORTER_OTLP_HEADERS`, winning on conflicts). */
  headers?: Record<string, string>;
  /** How long one export request may take, retries included. Default 10 000 ms. */
  timeoutMillis?: number;
}

/**
 * The bounded queue between finished spans and the exporter. When it is full (the exporter is slow
 * or the collector unreachable), new spans are dropped — counted and reported through the
 * diagnostic logger — instead of growing memory or slowing requests.
 */
export interface ExportQueueOptions {
  /** Spans held at most. Default: `OTEL_BSP_MAX_QUEUE_SIZE`, else 2048. */
  maxQueueSize?: number;
  /** Spans per export request. Default: `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, else 512. */
  maxExportBatchSize?: number;
  /** Delay before a partial batch is sent. Default: `OTEL_BSP_SCHEDULE_DELAY`, else 5000 ms (console: 500 ms). */
  scheduledDelayMillis?: number;
  /** How long one export may run before the queue moves on. Default: `OTEL_BSP_EXPORT_TIMEOUT`, else 30 000 ms. */
  exportTimeoutMillis?: number;
}

/** Diagnostic log levels, as `OTEL_LOG_LEVEL` spells them (case-insensitive there). */
export type TelemetryLogLevel = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

/**
 * Options of {@link startTelemetry}. Everything is optional: with nothing set (and no `OTEL_*`
 * variables), spans go to the console one line each and metrics to a Prometheus endpoint on
 * `:9464/metrics`. Explicit options win over environment variables.
 */
export interface TelemetryOptions {
  /** `service.name`. Default: `OTEL_SERVICE_NAME`, else the SDK default `unknown_service:node`. */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** `deployment.environment.name` (`production`, `staging`). */
  environment?: string;
  /** More resource attributes, added to `OTEL_RESOURCE_ATTRIBUTES` and winning on conflicts. */
  resourceAttributes?: Attributes;

  /**
   * Where spans go: a name, a `SpanExporter`, or several. Default: `OTEL_TRACES_EXPORTER`, else
   * `'otlp'` when an OTLP endpoint is configured, else `'console'`.
   */
  traces?: TracesExporterName | SpanExporter | ReadonlyArray<TracesExporterName | SpanExporter>;
  /**
   * Where metrics go: a name, a metric reader (a `PrometheusExporter`, a
   * `PeriodicExportingMetricReader`, …), or several. Default: `OTEL_METRICS_EXPORTER`, else
   * `'otlp'` when an OTLP endpoint is configured, else `'prometheus'`.
   */
  metrics?:
    | MetricsExporterName
    | MetricReaderLike
    | ReadonlyArray<MetricsExporterName | MetricReaderLike>;
  /** Settings of the `'prometheus'` metrics exporter. */
  prometheus?: PrometheusOptions;
  /** Settings of the `'otlp'` exporters. */
  otlp?: OtlpOptions;
  /** URL of the Zipkin collector. Default: `OTEL_EXPORTER_ZIPKIN_ENDPOINT`, else `http://localhost:9411/api/v2/spans`. */
  zipkinEndpoint?: string;
  /** The bounded export queue of the named span exporters. */
  exportQueue?: ExportQueueOptions;
  /** How often push exporters (`otlp`, `console`) export metrics. Default: `OTEL_METRIC_EXPORT_INTERVAL`, else 60 000 ms. */
  metricExportIntervalMillis?: number;

  /**
   * Fraction of new traces to record, 0–1, respecting the caller's decision for continued traces
   * (parent-based ratio sampling). Wins over `OTEL_TRACES_SAMPLER`.
   */
  samplingRatio?: number;
  /**
   * A file holding the sampling ratio (`0.25`), read at start and again on `SIGUSR2` or
   * `telemetry.sampling.reload()`, so that operators can change the ratio without a restart.
   * Applies to the ratio samplers (`samplingRatio`, `traceidratio`, `parentbased_traceidratio`);
   * with no sampler chosen it makes the default sampler `parentbased_traceidratio` starting at 1.
   * A missing or unreadable file, or one that does not hold a number from 0 to 1, keeps the ratio
   * in effect and says why through the diagnostic logger. Default: `OTEL_HTTP_SAMPLER_RATIO_FILE`.
   */
  samplingRatioFile?: string;
  /** A sampler of your own. Wins over {@link samplingRatio} and `OTEL_TRACES_SAMPLER`. */
  sampler?: Sampler;
  /** Span limits (attribute count and length, events, links). SDK and `OTEL_SPAN_*` defaults otherwise. */
  spanLimits?: SpanLimits;
  /** More span processors, run after the exporters' ones. */
  spanProcessors?: readonly SpanProcessor[];
  /**
   * Propagator to register. Default: W3C trace context + baggage (`OTEL_PROPAGATORS` may narrow it:
   * `tracecontext`, `baggage`, `tracecontext-sdk`, `baggage-sdk`, `none`).
   */
  propagator?: TextMapPropagator;
  /**
   * Which implementation of the W3C propagators `tracecontext` and `baggage` mean, when
   * {@link propagator} is not given. `'strict'` (default): `@otel-http/core`'s
   * `StrictW3CTraceContextPropagator` and `StrictW3CBaggagePropagator`, which follow the
   * specifications' grammar and limits (the W3C trace-context test suite passes in full).
   * `'sdk'`: `@opentelemetry/core`'s `W3CTraceContextPropagator` and `W3CBaggagePropagator`, as
   * the names `tracecontext-sdk` and `baggage-sdk` in `OTEL_PROPAGATORS` also select.
   */
  w3cPropagators?: 'strict' | 'sdk';

  /**
   * Level of the OpenTelemetry diagnostic logger installed on the console. Default: `OTEL_LOG_LEVEL`,
   * else `'warn'` (so that dropped spans and failing exports are seen). `'none'` installs nothing.
   */
  logLevel?: TelemetryLogLevel;
  /** Send diagnostics here instead of the console (at {@link logLevel}). */
  diagLogger?: DiagLogger;

  /**
   * Shut down (flushing spans and metrics) when the process receives a signal.
   *
   * - Default (unset): on `SIGTERM` and `SIGINT`, only when the application has no listener of its
   *   own for that signal when it arrives. Then telemetry is flushed and the signal raised again,
   *   so the process ends as it would have without telemetry (killed by the signal: exit status
   *   130 for `SIGINT`, 143 for `SIGTERM` in a shell), at most `shutdownTimeoutMillis` later. When
   *   the application does listen, it owns shutdown: nothing is done, call `shutdown()` from your
   *   handler.
   * - `true`, or a list of signals: shut down on each of them whatever other listeners there are;
   *   the signal is raised again after the flush only when no other listener is there.
   * - `false`: no listener.
   *
   * A second signal during the flush finds no listener of ours and ends the process at once.
   */
  shutdownOnSignals?: boolean | readonly ShutdownSignal[];
  /** Longest time `shutdown()` waits for the last exports. Default 5000 ms. */
  shutdownTimeoutMillis?: number;

  /** Start nothing and register nothing. Default: `OTEL_SDK_DISABLED`, else `false`. */
  disabled?: boolean;
}

/** Counters of the span export queue, summed over the named span exporters. */
export interface ExportStats {
  /** Spans waiting in the queues now. */
  readonly queued: number;
  /** Spans dropped because a queue was full. */
  readonly dropped: number;
  /** Spans the exporters accepted. */
  readonly exported: number;
  /** Spans whose export failed or timed out. */
  readonly failed: number;
}

/** Addresses of what {@link startTelemetry} serves, once it listens. */
export interface TelemetryEndpoints {
  /** URL of the Prometheus scrape endpoint; absent when Prometheus is off or could not listen. */
  readonly prometheusUrl?: string;
}

/**
 * The ratio of new (root) traces the sampler records, changeable while the process runs. Traces
 * continued from a caller follow the caller's decision whatever the ratio (with the parent-based
 * samplers). Only a ratio sampler is adjustable: with the `sampler` option, `always_on` and the
 * other fixed samplers (the default included), or disabled telemetry, `adjustable` is `false`,
 * `ratio` is `undefined` and `setRatio()` returns `false`.
 */
export interface SamplingControl {
  /** Whether the ratio can be changed. */
  readonly adjustable: boolean;
  /** The ratio in effect, 0–1; `undefined` when not adjustable. */
  readonly ratio: number | undefined;
  /**
   * Uses `ratio` (0–1) for the decisions from now on. Returns `false`, keeping the ratio in
   * effect and saying why through the diagnostic logger, when the value is not a number from 0 to
   * 1 or the sampler is not adjustable.
   */
  setRatio(ratio: number): boolean;
  /**
   * Reads the sampling ratio file again (what `SIGUSR2` does) and uses its ratio. Returns `false`,
   * keeping the ratio in effect and saying why through the diagnostic logger, when there is no
   * ratio file or it does not hold a number from 0 to 1.
   */
  reload(): boolean;
}

/** What {@link startTelemetry} returns. */
export interface Telemetry {
  /** The tracer provider registered globally (the API's no-op one when disabled). */
  readonly tracerProvider: TracerProvider;
  /** The meter provider registered globally (the API's no-op one when disabled). */
  readonly meterProvider: MeterProvider;
  /** Whether telemetry is disabled (`disabled` option or `OTEL_SDK_DISABLED=true`). */
  readonly disabled: boolean;
  /**
   * Settles when the endpoints listen (or failed to, which is reported through the diagnostic
   * logger and leaves `prometheusUrl` out). Never rejects.
   */
  readonly ready: Promise<TelemetryEndpoints>;
  /** Exports what is queued now, spans and metrics. */
  forceFlush(): Promise<void>;
  /**
   * Flushes spans and metrics, stops the exporters and the Prometheus endpoint, removes signal
   * handlers and unregisters the global providers, propagator and context manager. Waits at most
   * `timeoutMillis` (default {@link TelemetryOptions.shutdownTimeoutMillis}). Idempotent; never
   * rejects — failures are reported through the diagnostic logger.
   */
  shutdown(options?: { timeoutMillis?: number }): Promise<void>;
  /** Counters of the span export queue. */
  exportStats(): ExportStats;
  /** The sampling ratio of new traces, and how to change it at run time. */
  readonly sampling: SamplingControl;
}
