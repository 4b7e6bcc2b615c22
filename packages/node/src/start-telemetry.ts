import {
  context,
  DiagConsoleLogger,
  DiagLogLevel,
  diag,
  metrics,
  ProxyTracerProvider,
  propagation,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { BoundedBatchSpanProcessor } from './bounded-span-processor.js';
import { resolveTelemetryConfig } from './config.js';
import { describeError, logger } from './diag.js';
import type { Env } from './env.js';
import type { ExportStats, Telemetry, TelemetryLogLevel, TelemetryOptions } from './options.js';
import { registerQueueMetrics } from './queue-metrics.js';
import { registerSamplingMetric, reloadOnSignal, samplingControl } from './sampling-control.js';
import {
  buildMetricReaders,
  buildPropagator,
  buildResource,
  buildSampler,
  buildSpanQueues,
} from './sdk-parts.js';
import { installShutdownSignals } from './signals.js';

/**
 * Marks a running instance on `globalThis`, so that a second start is caught even when the ESM and
 * the CommonJS builds of this package are both loaded (preload with `--require`, app with `import`).
 */
const RUNNING = Symbol.for('@otel-http/node.running');
type GlobalWithMarker = typeof globalThis & { [RUNNING]?: string };

/** Who started telemetry, for the error of a second start. */
export interface StartContext {
  startedBy: string;
  env?: Env;
}

/**
 * Wires the OpenTelemetry SDK for an HTTP service in one call and registers it globally: the
 * tracer provider (with a bounded export queue per exporter), the meter provider, the W3C trace
 * context + baggage propagators and the `AsyncLocalStorage` context manager. Adapters such as
 * `@otel-http/express` then use it without further configuration.
 *
 * On `SIGTERM` and `SIGINT` that the application does not handle itself, telemetry is flushed
 * before the process ends by the signal as it would have (see `shutdownOnSignals`).
 *
 * Options win over the standard `OTEL_*` environment variables; an unusable value of either throws
 * a {@link TelemetryConfigError} naming it, before anything is registered. Calling it again while
 * an instance is running throws; call `shutdown()` first. Nothing is started at import time.
 *
 * @example
 * ```ts
 * const telemetry = startTelemetry({ serviceName: 'checkout', serviceVersion: '1.4.0' });
 * // … in the application's own shutdown, if it has one:
 * await telemetry.shutdown();
 * ```
 */
export function startTelemetry(options: TelemetryOptions = {}): Telemetry {
  return startTelemetryFrom(options, { startedBy: 'startTelemetry()' });
}

/** {@link startTelemetry} with the caller named (the preload entry) and the environment given. */
export function startTelemetryFrom(options: TelemetryOptions, start: StartContext): Telemetry {
  const config = resolveTelemetryConfig(options, start.env ?? process.env);
  if (config.disabled) return disabledTelemetry();

  const global = globalThis as GlobalWithMarker;
  const running = global[RUNNING];
  if (running !== undefined) {
    throw new Error(
      `OpenTelemetry is already started (by ${running}); startTelemetry() was called again. ` +
        'Keep one of the two, or call shutdown() on the first before starting again.',
    );
  }

  const restoreDiag = installDiagLogger(config.logLevel, options);
  for (const warning of config.warnings) logger.warn(warning);

  const resource = buildResource(config.resourceAttributes);
  const queues = buildSpanQueues(config);
  const { readers, prometheus } = buildMetricReaders(config);
  const meterProvider = new MeterProvider({ resource, readers });
  const { sampler, adjustable } = buildSampler(config.sampler);
  const tracerProvider = new NodeTracerProvider({
    resource,
    sampler,
    ...(config.spanLimits && { spanLimits: config.spanLimits }),
    spanProcessors: [...queues, ...config.spanProcessors],
  });
  registerQueueMetrics(meterProvider, queues);
  registerSamplingMetric(meterProvider, adjustable);
  const sampling = samplingControl(adjustable, config.samplingRatioFile);
  if (config.samplingRatioFile !== undefined) sampling.reload();
  const contextManager = new AsyncLocalStorageContextManager();
  try {
    registerGlobals(
      tracerProvider,
      meterProvider,
      buildPropagator(config.propagator),
      contextManager,
    );
  } catch (error) {
    void prometheus?.close();
    restoreDiag();
    throw error;
  }
  global[RUNNING] = start.startedBy;

  let shutdownPromise: Promise<void> | undefined;
  const removeSignals = installShutdownSignals(config.shutdownSignals, () => telemetry.shutdown(), {
    yieldToApplication: config.signalsYieldToApplication,
  });
  const removeReload =
    config.samplingRatioSignal === undefined
      ? () => {}
      : reloadOnSignal(sampling, config.samplingRatioSignal);
  const ready = (prometheus?.url ?? Promise.resolve(undefined)).then((prometheusUrl) =>
    prometheusUrl === undefined ? {} : { prometheusUrl },
  );

  const telemetry: Telemetry = {
    tracerProvider,
    meterProvider,
    disabled: false,
    ready,
    async forceFlush() {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    shutdown(shutdownOptions = {}) {
      shutdownPromise ??= (async () => {
        removeSignals();
        removeReload();
        const timeoutMillis = shutdownOptions.timeoutMillis ?? config.shutdownTimeoutMillis;
        const finished = await withinTimeout(
          Promise.allSettled([
            tracerProvider.shutdown(),
            meterProvider.shutdown({ timeoutMillis }),
            prometheus?.close(),
          ]).then((results) => {
            for (const result of results) {
              if (result.status === 'rejected') {
                logger.error(`shutdown: ${describeError(result.reason)}`);
              }
            }
          }),
          timeoutMillis,
        );
        if (!finished) {
          const { queued } = statsOf(queues);
          logger.warn(
            `shutdown did not finish within ${timeoutMillis} ms; ${queued} span(s) still queued were not exported`,
          );
        }
        unregisterGlobals(tracerProvider, meterProvider);
        delete global[RUNNING];
        restoreDiag();
      })();
      return shutdownPromise;
    },
    exportStats: () => statsOf(queues),
    sampling,
  };
  return telemetry;
}

function disabledTelemetry(): Telemetry {
  return {
    tracerProvider: trace.getTracerProvider(),
    meterProvider: metrics.getMeterProvider(),
    disabled: true,
    ready: Promise.resolve({}),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    exportStats: () => ({ queued: 0, dropped: 0, exported: 0, failed: 0 }),
    sampling: samplingControl(undefined),
  };
}

function statsOf(queues: readonly BoundedBatchSpanProcessor[]): ExportStats {
  const total = { queued: 0, dropped: 0, exported: 0, failed: 0 };
  for (const queue of queues) {
    const stats = queue.stats();
    total.queued += stats.queued;
    total.dropped += stats.dropped;
    total.exported += stats.exported;
    total.failed += stats.failed;
  }
  return total;
}

const DIAG_LEVELS: Record<Exclude<TelemetryLogLevel, 'none'>, DiagLogLevel> = {
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** Installs the diagnostic logger; returns how to remove it again. */
function installDiagLogger(level: TelemetryLogLevel, options: TelemetryOptions): () => void {
  if (level === 'none') return () => {};
  diag.setLogger(options.diagLogger ?? new DiagConsoleLogger(), {
    logLevel: DIAG_LEVELS[level],
    suppressOverrideMessage: true,
  });
  return () => diag.disable();
}

/**
 * Registers the four globals, or none: if another SDK already registered one, what this call
 * registered is undone and the start fails, rather than running half-wired.
 */
function registerGlobals(
  tracerProvider: NodeTracerProvider,
  meterProvider: MeterProvider,
  propagator: ReturnType<typeof buildPropagator>,
  contextManager: AsyncLocalStorageContextManager,
): void {
  const undo: Array<() => void> = [];
  const taken: string[] = [];
  const register = (name: string, set: () => boolean, disable: () => void) => {
    if (set()) undo.push(disable);
    else taken.push(name);
  };
  register(
    'tracer provider',
    () => trace.setGlobalTracerProvider(tracerProvider),
    () => trace.disable(),
  );
  register(
    'meter provider',
    () => metrics.setGlobalMeterProvider(meterProvider),
    () => metrics.disable(),
  );
  register(
    'propagator',
    () => propagation.setGlobalPropagator(propagator),
    () => propagation.disable(),
  );
  register(
    'context manager',
    () => context.setGlobalContextManager(contextManager.enable()),
    () => context.disable(),
  );
  if (taken.length > 0) {
    for (const disable of undo) disable();
    contextManager.disable();
    void tracerProvider.shutdown();
    void meterProvider.shutdown();
    throw new Error(
      `another OpenTelemetry SDK already registered the global ${taken.join(', ')}; ` +
        'startTelemetry() registers its own. Use one of the two.',
    );
  }
}

/** Removes the globals, unless someone replaced ours meanwhile. */
function unregisterGlobals(tracerProvider: NodeTracerProvider, meterProvider: MeterProvider): void {
  const globalTracer = trace.getTracerProvider();
  const ours =
    globalTracer instanceof ProxyTracerProvider
      ? globalTracer.getDelegate() === tracerProvider
      : globalTracer === tracerProvider;
  if (!ours || metrics.getMeterProvider() !== meterProvider) {
    logger.warn('shutdown: the global providers were replaced meanwhile; leaving them registered');
    return;
  }
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
}

/** Whether `work` settled within `millis`. */
async function withinTimeout(work: Promise<unknown>, millis: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), millis);
    timer.unref?.();
  });
  try {
    return await Promise.race([work.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
