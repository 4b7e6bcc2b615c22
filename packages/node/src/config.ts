/**
 * Options + environment → one resolved configuration. Pure: no SDK object is created here, so
 * every rule (which variable wins, what is rejected) is testable with a table of cases.
 */
import type { Attributes, TextMapPropagator } from '@opentelemetry/api';
import type {
  Sampler,
  SpanExporter,
  SpanLimits,
  SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { parseRatioText } from './adjustable-sampler.js';
import {
  type Env,
  parseHttpUrl,
  parseKeyValueList,
  readBoolean,
  readInteger,
  readNameList,
  readVar,
} from './env.js';
import { TelemetryConfigError } from './errors.js';
import type {
  MetricReaderLike,
  MetricsExporterName,
  ShutdownSignal,
  TelemetryLogLevel,
  TelemetryOptions,
  TracesExporterName,
} from './options.js';

const TRACES_EXPORTERS: readonly TracesExporterName[] = ['otlp', 'console', 'zipkin', 'none'];
const METRICS_EXPORTERS: readonly MetricsExporterName[] = ['prometheus', 'otlp', 'console', 'none'];
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
const PROPAGATORS = ['tracecontext', 'baggage', 'tracecontext-sdk', 'baggage-sdk', 'none'] as const;
/**
 * A W3C propagator to register: `tracecontext` and `baggage` are `@otel-http/core`'s strict ones,
 * the `-sdk` names `@opentelemetry/core`'s.
 */
export type W3CPropagatorName = 'tracecontext' | 'baggage' | 'tracecontext-sdk' | 'baggage-sdk';
const LOG_LEVELS: readonly TelemetryLogLevel[] = [
  'none',
  'error',
  'warn',
  'info',
  'debug',
  'verbose',
  'all',
];
const OTLP_PROTOCOL = 'http/protobuf';
const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318/';
const DEFAULT_PROMETHEUS_PORT = 9464;
const DEFAULT_PROMETHEUS_PATH = '/metrics';
const MAX_MILLIS = 2_147_483_647; // the largest delay setTimeout honours

/** A sampler chosen by name (`OTEL_TRACES_SAMPLER`), by ratio, or given as an object. */
export type SamplerChoice =
  | { readonly kind: 'custom'; readonly sampler: Sampler }
  | { readonly kind: (typeof SAMPLERS)[number]; readonly ratio: number };

/** The configuration {@link startTelemetry} builds the SDK from. */
export interface ResolvedTelemetryConfig {
  readonly disabled: boolean;
  /** Resource attributes from the environment and the options (SDK defaults not included). */
  readonly resourceAttributes: Attributes;
  readonly traces: ReadonlyArray<Exclude<TracesExporterName, 'none'> | SpanExporter>;
  readonly metrics: ReadonlyArray<Exclude<MetricsExporterName, 'none'> | MetricReaderLike>;
  readonly otlp: {
    readonly tracesUrl: string;
    readonly metricsUrl: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly timeoutMillis: number | undefined;
  };
  readonly zipkinEndpoint: string | undefined;
  readonly prometheus: {
    readonly host: string | undefined;
    readonly port: number;
    readonly path: string;
  };
  readonly exportQueue: {
    readonly maxQueueSize: number;
    readonly maxExportBatchSize: number;
    /** `undefined`: the exporter's own default (shorter for the console). */
    readonly scheduledDelayMillis: number | undefined;
    readonly exportTimeoutMillis: number;
  };
  readonly metricExportIntervalMillis: number;
  readonly metricExportTimeoutMillis: number;
  readonly sampler: SamplerChoice;
  /**
   * The file the ratio of an adjustable (ratio) sampler is read from at start and on
   * {@link samplingRatioSignal}; `undefined` when none is set or the sampler is not a ratio one.
   */
  readonly samplingRatioFile: string | undefined;
  /** The signal that re-reads {@link samplingRatioFile}; `undefined` when nothing listens. */
  readonly samplingRatioSignal: ShutdownSignal | undefined;
  readonly spanLimits: SpanLimits | undefined;
  readonly spanProcessors: readonly SpanProcessor[];
  /** The propagator given as an option, or the W3C parts to combine. */
  readonly propagator: TextMapPropagator | ReadonlyArray<W3CPropagatorName>;
  readonly logLevel: TelemetryLogLevel;
  readonly shutdownSignals: readonly ShutdownSignal[];
  /** Whether an application listener of its own for the signal takes over shutdown (the default). */
  readonly signalsYieldToApplication: boolean;
  readonly shutdownTimeoutMillis: number;
  /** Settings that were ignored on purpose; reported once the diagnostic logger is installed. */
  readonly warnings: readonly string[];
}

/**
 * Applies the environment to the options. Explicit options win; an unusable value of either throws
 * a {@link TelemetryConfigError}. With `OTEL_SDK_DISABLED=true` (and no `disabled: false`) only
 * that flag is read — a disabled SDK does not fail on the rest.
 */
export function resolveTelemetryConfig(
  options: TelemetryOptions = {},
  env: Env = process.env,
): ResolvedTelemetryConfig {
  const warnings: string[] = [];
  const disabled = options.disabled ?? readBoolean(env, 'OTEL_SDK_DISABLED') ?? false;
  const logLevel = options.logLevel ?? logLevelFromEnv(env);
  if (options.logLevel !== undefined && !LOG_LEVELS.includes(options.logLevel)) {
    throw new TelemetryConfigError(
      'options.logLevel',
      options.logLevel,
      `expected one of ${LOG_LEVELS.join(', ')}`,
    );
  }

  const tracesEndpointSet =
    options.otlp?.endpoint !== undefined ||
    options.otlp?.tracesEndpoint !== undefined ||
    readVar(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
    readVar(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined;
  const metricsEndpointSet =
    options.otlp?.endpoint !== undefined ||
    options.otlp?.metricsEndpoint !== undefined ||
    readVar(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
    readVar(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') !== undefined;

  const traces = disabled
    ? []
    : exporterList<TracesExporterName, SpanExporter>(
        'options.traces',
        options.traces,
        () => readNameList(env, 'OTEL_TRACES_EXPORTER', TRACES_EXPORTERS, explainTracesExporter),
        TRACES_EXPORTERS,
        tracesEndpointSet ? 'otlp' : 'console',
      );
  const metrics = disabled
    ? []
    : exporterList<MetricsExporterName, MetricReaderLike>(
        'options.metrics',
        options.metrics,
        () => readNameList(env, 'OTEL_METRICS_EXPORTER', METRICS_EXPORTERS),
        METRICS_EXPORTERS,
        metricsEndpointSet ? 'otlp' : 'prometheus',
      );

  const usesOtlp = { traces: traces.includes('otlp'), metrics: metrics.includes('otlp') };
  const otlp = disabled ? defaultOtlp() : resolveOtlp(options, env, usesOtlp);

  return {
    disabled,
    resourceAttributes: disabled ? {} : resolveResourceAttributes(options, env),
    traces,
    metrics,
    otlp,
    zipkinEndpoint: optionalUrl('options.zipkinEndpoint', options.zipkinEndpoint),
    prometheus: disabled ? defaultPrometheus() : resolvePrometheus(options, env),
    exportQueue: disabled ? defaultQueue() : resolveQueue(options, env, warnings),
    ...(disabled ? defaultMetricTiming() : resolveMetricTiming(options, env, warnings)),
    ...(disabled ? defaultSampling() : resolveSampling(options, env, warnings)),
    spanLimits: options.spanLimits,
    spanProcessors: options.spanProcessors ?? [],
    propagator:
      options.propagator ??
      (disabled ? [] : w3cImplementation(propagatorsFromEnv(env), options.w3cPropagators)),
    logLevel,
    shutdownSignals: resolveSignals(options.shutdownOnSignals),
    signalsYieldToApplication: options.shutdownOnSignals === undefined,
    shutdownTimeoutMillis: positiveMillis(
      'options.shutdownTimeoutMillis',
      options.shutdownTimeoutMillis,
      5000,
    ),
    warnings,
  };
}

function logLevelFromEnv(env: Env): TelemetryLogLevel {
  const value = readVar(env, 'OTEL_LOG_LEVEL');
  if (value === undefined) return 'warn';
  const level = value.toLowerCase() as TelemetryLogLevel;
  if (!LOG_LEVELS.includes(level)) {
    throw new TelemetryConfigError(
      'OTEL_LOG_LEVEL',
      value,
      `expected one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  return level;
}

function explainTracesExporter(entry: string): string | undefined {
  if (entry === 'jaeger')
    return 'the Jaeger exporter is not bundled: Jaeger accepts OTLP, use otlp';
  return undefined;
}

/** Normalises one-or-many exporters (names or objects); `none` alone means an empty list. */
function exporterList<N extends string, O extends object>(
  setting: string,
  option: N | O | ReadonlyArray<N | O> | undefined,
  fromEnv: () => N[] | undefined,
  allowed: readonly N[],
  fallback: N,
): Array<Exclude<N, 'none'> | O> {
  const chosen: ReadonlyArray<N | O> =
    option === undefined
      ? (fromEnv() ?? [fallback])
      : Array.isArray(option)
        ? option
        : [option as N | O];
  const names = chosen.filter((entry): entry is N => typeof entry === 'string');
  for (const name of names) {
    if (!allowed.includes(name)) {
      throw new TelemetryConfigError(
        setting,
        name,
        `expected one of ${allowed.join(', ')} or an exporter object`,
      );
    }
  }
  if (names.includes('none' as N)) {
    if (chosen.length > 1) {
      throw new TelemetryConfigError(
        setting,
        chosen.map(String).join(','),
        '"none" cannot be combined with other exporters',
      );
    }
    return [];
  }
  // The same named exporter twice would export everything twice.
  return chosen.filter(
    (entry, index) => typeof entry !== 'string' || chosen.indexOf(entry) === index,
  ) as Array<Exclude<N, 'none'> | O>;
}

function resolveResourceAttributes(options: TelemetryOptions, env: Env): Attributes {
  const fromEnv = readVar(env, 'OTEL_RESOURCE_ATTRIBUTES');
  const attributes: Attributes = fromEnv
    ? parseKeyValueList('OTEL_RESOURCE_ATTRIBUTES', fromEnv)
    : {};
  const serviceNameFromEnv = readVar(env, 'OTEL_SERVICE_NAME');
  if (serviceNameFromEnv !== undefined) attributes['service.name'] = serviceNameFromEnv;
  Object.assign(attributes, options.resourceAttributes);
  const named: Array<[string, string, string | undefined]> = [
    ['service.name', 'options.serviceName', options.serviceName],
    ['service.version', 'options.serviceVersion', options.serviceVersion],
    ['deployment.environment.name', 'options.environment', options.environment],
  ];
  for (const [key, setting, value] of named) {
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new TelemetryConfigError(setting, value, 'expected a non-empty string');
    }
    attributes[key] = value;
  }
  return attributes;
}

function defaultOtlp(): ResolvedTelemetryConfig['otlp'] {
  return {
    tracesUrl: `${DEFAULT_OTLP_ENDPOINT}v1/traces`,
    metricsUrl: `${DEFAULT_OTLP_ENDPOINT}v1/metrics`,
    headers: {},
    timeoutMillis: undefined,
  };
}

function resolveOtlp(
  options: TelemetryOptions,
  env: Env,
  uses: { traces: boolean; metrics: boolean },
): ResolvedTelemetryConfig['otlp'] {
  if (uses.traces) checkProtocol(env, 'TRACES');
  if (uses.metrics) checkProtocol(env, 'METRICS');
  const base = (): string => {
    const [setting, value] =
      options.otlp?.endpoint !== undefined
        ? ['options.otlp.endpoint', options.otlp.endpoint]
        : ['OTEL_EXPORTER_OTLP_ENDPOINT', readVar(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')];
    if (value === undefined) return DEFAULT_OTLP_ENDPOINT;
    const href = parseHttpUrl(setting, value).href;
    return href.endsWith('/') ? href : `${href}/`;
  };
  const signalUrl = (signal: 'TRACES' | 'METRICS', option: string | undefined, path: string) => {
    const setting =
      signal === 'TRACES' ? 'options.otlp.tracesEndpoint' : 'options.otlp.metricsEndpoint';
    if (option !== undefined) return parseHttpUrl(setting, option).href;
    // An explicit base URL in the options wins over the signal-specific variable too.
    if (options.otlp?.endpoint === undefined) {
      const name = `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`;
      const value = readVar(env, name);
      if (value !== undefined) return parseHttpUrl(name, value).href;
    }
    return `${base()}${path}`;
  };
  const headers: Record<string, string> = {};
  if (uses.traces || uses.metrics) {
    const generic = readVar(env, 'OTEL_EXPORTER_OTLP_HEADERS');
    if (generic) Object.assign(headers, parseKeyValueList('OTEL_EXPORTER_OTLP_HEADERS', generic));
  }
  // Signal-specific headers are validated here; the exporters themselves merge them in.
  for (const signal of ['TRACES', 'METRICS'] as const) {
    const name = `OTEL_EXPORTER_OTLP_${signal}_HEADERS`;
    const value = readVar(env, name);
    if (value && uses[signal === 'TRACES' ? 'traces' : 'metrics']) parseKeyValueList(name, value);
  }
  Object.assign(headers, options.otlp?.headers);
  return {
    tracesUrl: uses.traces
      ? signalUrl('TRACES', options.otlp?.tracesEndpoint, 'v1/traces')
      : defaultOtlp().tracesUrl,
    metricsUrl: uses.metrics
      ? signalUrl('METRICS', options.otlp?.metricsEndpoint, 'v1/metrics')
      : defaultOtlp().metricsUrl,
    headers,
    timeoutMillis:
      options.otlp?.timeoutMillis === undefined
        ? undefined
        : positiveMillis('options.otlp.timeoutMillis', options.otlp.timeoutMillis, 10_000),
  };
}

/** Only http/protobuf is bundled; the README explains why gRPC is not. */
function checkProtocol(env: Env, signal: 'TRACES' | 'METRICS'): void {
  for (const name of [`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = readVar(env, name);
    if (value === undefined) continue;
    if (value === OTLP_PROTOCOL) return;
    const why =
      value === 'grpc'
        ? 'the gRPC exporters are not bundled; use http/protobuf (collector port 4318), or pass your own gRPC exporter object'
        : value === 'http/json'
          ? 'the JSON exporters are not bundled; use http/protobuf'
          : 'expected http/protobuf';
    throw new TelemetryConfigError(name, value, why);
  }
}

function optionalUrl(setting: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : parseHttpUrl(setting, value).href;
}

function defaultPrometheus(): ResolvedTelemetryConfig['prometheus'] {
  return { host: undefined, port: DEFAULT_PROMETHEUS_PORT, path: DEFAULT_PROMETHEUS_PATH };
}

function resolvePrometheus(
  options: TelemetryOptions,
  env: Env,
): ResolvedTelemetryConfig['prometheus'] {
  const option = options.prometheus ?? {};
  const port =
    option.port !== undefined
      ? checkedPort('options.prometheus.port', option.port)
      : (readInteger(env, 'OTEL_EXPORTER_PROMETHEUS_PORT', 0, 65535) ?? DEFAULT_PROMETHEUS_PORT);
  const host = option.host ?? readVar(env, 'OTEL_EXPORTER_PROMETHEUS_HOST');
  if (
    host !== undefined &&
    (typeof host !== 'string' || host.trim() === '' || /[\s/]/.test(host))
  ) {
    throw new TelemetryConfigError(
      option.host !== undefined ? 'options.prometheus.host' : 'OTEL_EXPORTER_PROMETHEUS_HOST',
      host,
      'expected a host name or an IP address',
    );
  }
  const path = option.path ?? DEFAULT_PROMETHEUS_PATH;
  if (typeof path !== 'string' || !path.startsWith('/') || /[\s?#]/.test(path)) {
    throw new TelemetryConfigError(
      'options.prometheus.path',
      path,
      'expected a path starting with /',
    );
  }
  return { host, port, path };
}

function checkedPort(setting: string, port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TelemetryConfigError(setting, port, 'expected a whole number from 0 to 65535');
  }
  return port;
}

function defaultQueue(): ResolvedTelemetryConfig['exportQueue'] {
  return {
    maxQueueSize: 2048,
    maxExportBatchSize: 512,
    scheduledDelayMillis: undefined,
    exportTimeoutMillis: 30_000,
  };
}

function resolveQueue(
  options: TelemetryOptions,
  env: Env,
  warnings: string[],
): ResolvedTelemetryConfig['exportQueue'] {
  const o = options.exportQueue ?? {};
  const pick = (key: keyof typeof o, name: string, min: number, fallback: number | undefined) => {
    const value = o[key];
    if (value !== undefined) {
      if (!Number.isInteger(value) || value < min || value > MAX_MILLIS) {
        throw new TelemetryConfigError(
          `options.exportQueue.${key}`,
          value,
          `expected a whole number from ${min}`,
        );
      }
      return value;
    }
    return readInteger(env, name, min, MAX_MILLIS) ?? fallback;
  };
  const maxQueueSize = pick('maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE', 1, 2048) as number;
  let maxExportBatchSize = pick(
    'maxExportBatchSize',
    'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
    1,
    512,
  ) as number;
  if (maxExportBatchSize > maxQueueSize) {
    warnings.push(
      `the export batch size (${maxExportBatchSize}) is larger than the queue (${maxQueueSize}); using ${maxQueueSize}`,
    );
    maxExportBatchSize = maxQueueSize;
  }
  return {
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis: pick('scheduledDelayMillis', 'OTEL_BSP_SCHEDULE_DELAY', 0, undefined),
    exportTimeoutMillis: pick(
      'exportTimeoutMillis',
      'OTEL_BSP_EXPORT_TIMEOUT',
      1,
      30_000,
    ) as number,
  };
}

function defaultMetricTiming() {
  return { metricExportIntervalMillis: 60_000, metricExportTimeoutMillis: 30_000 };
}

function resolveMetricTiming(options: TelemetryOptions, env: Env, warnings: string[]) {
  const interval =
    options.metricExportIntervalMillis !== undefined
      ? positiveMillis(
          'options.metricExportIntervalMillis',
          options.metricExportIntervalMillis,
          60_000,
        )
      : (readInteger(env, 'OTEL_METRIC_EXPORT_INTERVAL', 1, MAX_MILLIS) ?? 60_000);
  let timeout = readInteger(env, 'OTEL_METRIC_EXPORT_TIMEOUT', 1, MAX_MILLIS) ?? 30_000;
  if (timeout > interval) {
    // The SDK refuses a timeout longer than the interval; an export must end before the next one.
    if (readVar(env, 'OTEL_METRIC_EXPORT_TIMEOUT') !== undefined) {
      warnings.push(
        `OTEL_METRIC_EXPORT_TIMEOUT (${timeout} ms) is longer than the export interval; using ${interval} ms`,
      );
    }
    timeout = interval;
  }
  return { metricExportIntervalMillis: interval, metricExportTimeoutMillis: timeout };
}

/** The signal that re-reads the sampling ratio file (SIGUSR1 is Node's debugger signal). */
export const SAMPLING_RATIO_SIGNAL: ShutdownSignal = 'SIGUSR2';

function defaultSampling(): Pick<
  ResolvedTelemetryConfig,
  'sampler' | 'samplingRatioFile' | 'samplingRatioSignal'
> {
  return {
    sampler: { kind: 'always_off', ratio: 0 },
    samplingRatioFile: undefined,
    samplingRatioSignal: undefined,
  };
}

/** The sampler, and the ratio file with the signal that re-reads it. */
function resolveSampling(
  options: TelemetryOptions,
  env: Env,
  warnings: string[],
): Pick<ResolvedTelemetryConfig, 'sampler' | 'samplingRatioFile' | 'samplingRatioSignal'> {
  const file = resolveRatioFile(options, env);
  const sampler = resolveSampler(options, env, warnings, file !== undefined);
  if (file === undefined)
    return { sampler, samplingRatioFile: undefined, samplingRatioSignal: undefined };
  if (!isRatioSampler(sampler)) {
    const which = sampler.kind === 'custom' ? 'the sampler option' : sampler.kind;
    warnings.push(
      `the sampling ratio file ${file} is ignored: ${which} is not an adjustable ratio sampler`,
    );
    return { sampler, samplingRatioFile: undefined, samplingRatioSignal: undefined };
  }
  const signals = resolveSignals(options.shutdownOnSignals);
  if (signals.includes(SAMPLING_RATIO_SIGNAL)) {
    warnings.push(
      `${SAMPLING_RATIO_SIGNAL} shuts telemetry down here (shutdownOnSignals), so it does not re-read the sampling ratio file; call telemetry.sampling.reload() instead`,
    );
    return { sampler, samplingRatioFile: file, samplingRatioSignal: undefined };
  }
  return { sampler, samplingRatioFile: file, samplingRatioSignal: SAMPLING_RATIO_SIGNAL };
}

/** Whether the choice is one of the ratio samplers, which are built adjustable. */
export function isRatioSampler(
  choice: SamplerChoice,
): choice is { kind: 'traceidratio' | 'parentbased_traceidratio'; ratio: number } {
  return choice.kind === 'traceidratio' || choice.kind === 'parentbased_traceidratio';
}

function resolveRatioFile(options: TelemetryOptions, env: Env): string | undefined {
  const option = options.samplingRatioFile;
  if (option !== undefined) {
    if (typeof option !== 'string' || option.trim() === '') {
      throw new TelemetryConfigError(
        'options.samplingRatioFile',
        option,
        'expected the path of a file',
      );
    }
    return option;
  }
  return readVar(env, 'OTEL_HTTP_SAMPLER_RATIO_FILE');
}

function resolveSampler(
  options: TelemetryOptions,
  env: Env,
  warnings: string[],
  ratioFileSet: boolean,
): SamplerChoice {
  if (options.sampler !== undefined) return { kind: 'custom', sampler: options.sampler };
  if (options.samplingRatio !== undefined) {
    const ratio = options.samplingRatio;
    if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) {
      throw new TelemetryConfigError(
        'options.samplingRatio',
        ratio,
        'expected a number from 0 to 1',
      );
    }
    return { kind: 'parentbased_traceidratio', ratio };
  }
  const name = readVar(env, 'OTEL_TRACES_SAMPLER');
  const arg = readVar(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (name === undefined) {
    if (arg !== undefined)
      warnings.push('OTEL_TRACES_SAMPLER_ARG is ignored: OTEL_TRACES_SAMPLER is not set');
    // With a ratio file the default is the parent-based ratio sampler, starting with everything
    // sampled as the default parentbased_always_on does, so that the file can change it.
    return { kind: ratioFileSet ? 'parentbased_traceidratio' : 'parentbased_always_on', ratio: 1 };
  }
  const kind = name.toLowerCase() as (typeof SAMPLERS)[number];
  if (!SAMPLERS.includes(kind)) {
    const remote = /jaeger_remote|xray/.test(kind) ? ' (remote samplers are not bundled)' : '';
    throw new TelemetryConfigError(
      'OTEL_TRACES_SAMPLER',
      name,
      `expected one of ${SAMPLERS.join(', ')}${remote}`,
    );
  }
  if (!kind.endsWith('traceidratio')) {
    if (arg !== undefined)
      warnings.push(`OTEL_TRACES_SAMPLER_ARG is ignored: ${kind} takes no argument`);
    return { kind, ratio: 1 };
  }
  if (arg === undefined) return { kind, ratio: 1 };
  const parsed = parseRatioText(arg);
  if ('problem' in parsed) {
    throw new TelemetryConfigError(
      'OTEL_TRACES_SAMPLER_ARG',
      arg,
      'expected a sampling ratio from 0 to 1',
    );
  }
  return { kind, ratio: parsed.ratio };
}

/** With `w3cPropagators: 'sdk'`, `tracecontext` and `baggage` name the SDK's propagators. */
function w3cImplementation(
  names: ReadonlyArray<W3CPropagatorName>,
  choice: TelemetryOptions['w3cPropagators'],
): ReadonlyArray<W3CPropagatorName> {
  if (choice === undefined || choice === 'strict') return names;
  if (choice !== 'sdk') {
    throw new TelemetryConfigError('options.w3cPropagators', choice, "expected 'strict' or 'sdk'");
  }
  return [
    ...new Set(
      names.map((name) => (name.endsWith('-sdk') ? name : (`${name}-sdk` as W3CPropagatorName))),
    ),
  ];
}

function propagatorsFromEnv(env: Env): ReadonlyArray<W3CPropagatorName> {
  const names = readNameList(env, 'OTEL_PROPAGATORS', PROPAGATORS, (entry) =>
    ['b3', 'b3multi', 'jaeger', 'xray', 'ottrace'].includes(entry)
      ? `the ${entry} propagator is not bundled; pass it as the propagator option`
      : undefined,
  );
  if (names === undefined) return ['tracecontext', 'baggage'];
  if (names.includes('none')) return [];
  return names as W3CPropagatorName[];
}

function resolveSignals(option: TelemetryOptions['shutdownOnSignals']): ShutdownSignal[] {
  if (option === false) return [];
  if (option === undefined || option === true) return ['SIGTERM', 'SIGINT'];
  for (const signal of option) {
    if (typeof signal !== 'string' || !/^SIG[A-Z0-9]+$/.test(signal)) {
      throw new TelemetryConfigError(
        'options.shutdownOnSignals',
        signal,
        'expected signal names such as SIGTERM',
      );
    }
  }
  return [...new Set(option)];
}

function positiveMillis(setting: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_MILLIS) {
    throw new TelemetryConfigError(setting, value, 'expected a positive number of milliseconds');
  }
  return value;
}
