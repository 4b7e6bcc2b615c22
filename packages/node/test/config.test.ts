import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { resolveTelemetryConfig } from '../src/config.js';
import type { Env } from '../src/env.js';
import { TelemetryConfigError } from '../src/errors.js';
import type { TelemetryOptions } from '../src/options.js';

const resolve = (env: Env, options: TelemetryOptions = {}) => resolveTelemetryConfig(options, env);

describe('valid environment variables', () => {
  it.each<[string, Env, (config: ReturnType<typeof resolve>) => void]>([
    [
      'nothing set: console spans, Prometheus on :9464/metrics, parent-based always-on',
      {},
      (c) => {
        expect(c.disabled).toBe(false);
        expect(c.traces).toEqual(['console']);
        expect(c.metrics).toEqual(['prometheus']);
        expect(c.prometheus).toEqual({ host: undefined, port: 9464, path: '/metrics' });
        expect(c.sampler).toEqual({ kind: 'parentbased_always_on', ratio: 1 });
        expect(c.propagator).toEqual(['tracecontext', 'baggage']);
        expect(c.logLevel).toBe('warn');
        expect(c.warnings).toEqual([]);
      },
    ],
    [
      'blank values count as unset',
      { OTEL_TRACES_EXPORTER: '  ', OTEL_SERVICE_NAME: '', OTEL_SDK_DISABLED: '' },
      (c) => {
        expect(c.traces).toEqual(['console']);
        expect(c.resourceAttributes['service.name']).toBeUndefined();
      },
    ],
    ['OTEL_SDK_DISABLED=TRUE', { OTEL_SDK_DISABLED: 'TRUE' }, (c) => expect(c.disabled).toBe(true)],
    [
      'a disabled SDK does not fail on the other variables',
      { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_SAMPLER: 'nonsense' },
      (c) => expect(c.disabled).toBe(true),
    ],
    [
      'OTEL_SDK_DISABLED=false',
      { OTEL_SDK_DISABLED: 'false' },
      (c) => expect(c.disabled).toBe(false),
    ],
    [
      'OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES',
      {
        OTEL_SERVICE_NAME: 'checkout',
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=other,team=payments,note=a%20b%2Cc',
      },
      (c) =>
        expect(c.resourceAttributes).toEqual({
          'service.name': 'checkout',
          team: 'payments',
          note: 'a b,c',
        }),
    ],
    [
      'OTEL_RESOURCE_ATTRIBUTES tolerates blanks and a trailing comma',
      { OTEL_RESOURCE_ATTRIBUTES: ' a = 1 , b=2, ' },
      (c) => expect(c.resourceAttributes).toEqual({ a: '1', b: '2' }),
    ],
    [
      'OTEL_TRACES_EXPORTER list, case-insensitive, de-duplicated',
      { OTEL_TRACES_EXPORTER: 'OTLP, console,otlp' },
      (c) => expect(c.traces).toEqual(['otlp', 'console']),
    ],
    [
      'OTEL_TRACES_EXPORTER=none',
      { OTEL_TRACES_EXPORTER: 'none' },
      (c) => expect(c.traces).toEqual([]),
    ],
    [
      'OTEL_TRACES_EXPORTER=zipkin',
      { OTEL_TRACES_EXPORTER: 'zipkin' },
      (c) => expect(c.traces).toEqual(['zipkin']),
    ],
    [
      'OTEL_METRICS_EXPORTER=otlp,prometheus',
      { OTEL_METRICS_EXPORTER: 'otlp,prometheus' },
      (c) => expect(c.metrics).toEqual(['otlp', 'prometheus']),
    ],
    [
      'OTEL_METRICS_EXPORTER=none',
      { OTEL_METRICS_EXPORTER: 'none' },
      (c) => expect(c.metrics).toEqual([]),
    ],
    [
      'an OTLP endpoint makes OTLP the default for both signals',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' },
      (c) => {
        expect(c.traces).toEqual(['otlp']);
        expect(c.metrics).toEqual(['otlp']);
        expect(c.otlp.tracesUrl).toBe('http://collector:4318/v1/traces');
        expect(c.otlp.metricsUrl).toBe('http://collector:4318/v1/metrics');
      },
    ],
    [
      'an endpoint with a path keeps it',
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gateway.example/otlp/',
        OTEL_TRACES_EXPORTER: 'otlp',
      },
      (c) => expect(c.otlp.tracesUrl).toBe('https://gateway.example/otlp/v1/traces'),
    ],
    [
      'a signal-specific endpoint is used as is and only defaults its own signal to OTLP',
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/custom' },
      (c) => {
        expect(c.traces).toEqual(['otlp']);
        expect(c.metrics).toEqual(['prometheus']);
        expect(c.otlp.tracesUrl).toBe('http://t:4318/custom');
      },
    ],
    [
      'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf',
      { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
      (c) => expect(c.otlp.tracesUrl).toBe('http://localhost:4318/v1/traces'),
    ],
    [
      'grpc is not checked when nothing uses OTLP',
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      (c) => expect(c.traces).toEqual(['console']),
    ],
    [
      'OTEL_EXPORTER_OTLP_HEADERS, percent-decoded',
      {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc%3D%3D,x-tenant=acme',
      },
      (c) => expect(c.otlp.headers).toEqual({ 'api-key': 'abc==', 'x-tenant': 'acme' }),
    ],
    [
      'OTEL_TRACES_SAMPLER=parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=0.25',
      { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' },
      (c) => expect(c.sampler).toEqual({ kind: 'parentbased_traceidratio', ratio: 0.25 }),
    ],
    [
      'a ratio sampler without argument samples everything',
      { OTEL_TRACES_SAMPLER: 'traceidratio' },
      (c) => expect(c.sampler).toEqual({ kind: 'traceidratio', ratio: 1 }),
    ],
    [
      'an argument for a sampler that takes none is ignored with a warning',
      { OTEL_TRACES_SAMPLER: 'always_off', OTEL_TRACES_SAMPLER_ARG: '0.5' },
      (c) => {
        expect(c.sampler).toEqual({ kind: 'always_off', ratio: 1 });
        expect(c.warnings).toEqual([
          'OTEL_TRACES_SAMPLER_ARG is ignored: always_off takes no argument',
        ]);
      },
    ],
    [
      'Prometheus host and port',
      { OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: '9100' },
      (c) => expect(c.prometheus).toEqual({ host: '127.0.0.1', port: 9100, path: '/metrics' }),
    ],
    [
      'batch processor variables',
      {
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500',
        OTEL_BSP_SCHEDULE_DELAY: '0',
        OTEL_BSP_EXPORT_TIMEOUT: '2000',
      },
      (c) => {
        // A batch larger than the queue is capped, with a warning.
        expect(c.exportQueue).toEqual({
          maxQueueSize: 100,
          maxExportBatchSize: 100,
          scheduledDelayMillis: 0,
          exportTimeoutMillis: 2000,
        });
        expect(c.warnings).toHaveLength(1);
      },
    ],
    [
      'OTEL_PROPAGATORS=tracecontext',
      { OTEL_PROPAGATORS: 'tracecontext' },
      (c) => expect(c.propagator).toEqual(['tracecontext']),
    ],
    ['OTEL_LOG_LEVEL=DEBUG', { OTEL_LOG_LEVEL: 'DEBUG' }, (c) => expect(c.logLevel).toBe('debug')],
    [
      'metric export interval and a timeout capped to it',
      { OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' },
      (c) => {
        expect(c.metricExportIntervalMillis).toBe(1000);
        expect(c.metricExportTimeoutMillis).toBe(1000);
        expect(c.warnings).toHaveLength(1);
      },
    ],
  ])('%s', (_name, env, check) => {
    check(resolve(env));
  });
});

describe('invalid environment variables stop startup, naming the variable and the value', () => {
  it.each<[Env, string, string]>([
    [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED', 'yes'],
    [{ OTEL_SDK_DISABLED: '1' }, 'OTEL_SDK_DISABLED', '1'],
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER', 'jaeger'],
    [{ OTEL_TRACES_EXPORTER: 'OTLP, none' }, 'OTEL_TRACES_EXPORTER', 'OTLP, none'],
    [{ OTEL_PROPAGATORS: 'none,baggage' }, 'OTEL_PROPAGATORS', 'none,baggage'],
    [{ OTEL_TRACES_EXPORTER: ',' }, 'OTEL_TRACES_EXPORTER', ','],
    [{ OTEL_METRICS_EXPORTER: 'prom' }, 'OTEL_METRICS_EXPORTER', 'prom'],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'team' }, 'OTEL_RESOURCE_ATTRIBUTES', 'team'],
    [{ OTEL_RESOURCE_ATTRIBUTES: '=x' }, 'OTEL_RESOURCE_ATTRIBUTES', '=x'],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'a=%zz' }, 'OTEL_RESOURCE_ATTRIBUTES', 'a=%zz'],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'collector:4318',
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' },
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'ftp://collector',
    ],
    [
      { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'not a url' },
      'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
      'not a url',
    ],
    [
      { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'grpc',
    ],
    [
      { OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' },
      'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
      'http/json',
    ],
    [
      { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'api-key' },
      'OTEL_EXPORTER_OTLP_HEADERS',
      'api-key',
    ],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER', 'sometimes'],
    [{ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, 'OTEL_TRACES_SAMPLER', 'jaeger_remote'],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' },
      'OTEL_TRACES_SAMPLER_ARG',
      '1.5',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '10%' },
      'OTEL_TRACES_SAMPLER_ARG',
      '10%',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '-0.1' },
      'OTEL_TRACES_SAMPLER_ARG',
      '-0.1',
    ],
    [{ OTEL_EXPORTER_PROMETHEUS_PORT: '94640' }, 'OTEL_EXPORTER_PROMETHEUS_PORT', '94640'],
    [{ OTEL_EXPORTER_PROMETHEUS_PORT: 'http' }, 'OTEL_EXPORTER_PROMETHEUS_PORT', 'http'],
    [
      { OTEL_EXPORTER_PROMETHEUS_HOST: 'http://0.0.0.0' },
      'OTEL_EXPORTER_PROMETHEUS_HOST',
      'http://0.0.0.0',
    ],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '0' }, 'OTEL_BSP_MAX_QUEUE_SIZE', '0'],
    [{ OTEL_BSP_SCHEDULE_DELAY: '5s' }, 'OTEL_BSP_SCHEDULE_DELAY', '5s'],
    [{ OTEL_PROPAGATORS: 'b3' }, 'OTEL_PROPAGATORS', 'b3'],
    [{ OTEL_LOG_LEVEL: 'loud' }, 'OTEL_LOG_LEVEL', 'loud'],
    [{ OTEL_METRIC_EXPORT_INTERVAL: '1m' }, 'OTEL_METRIC_EXPORT_INTERVAL', '1m'],
  ])('%o', (env, setting, value) => {
    let error: unknown;
    try {
      resolve(env);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(TelemetryConfigError);
    const configError = error as TelemetryConfigError;
    expect(configError.setting).toBe(setting);
    expect(configError.value).toBe(value);
    expect(configError.message).toContain(setting);
    expect(configError.message).toContain(JSON.stringify(value));
  });
});

describe('explicit options win over the environment', () => {
  const env: Env = {
    OTEL_SERVICE_NAME: 'from-env',
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_TRACES_SAMPLER: 'always_off',
    OTEL_EXPORTER_PROMETHEUS_PORT: '9100',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env-collector:4318',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env-traces:4318/v1/traces',
    OTEL_EXPORTER_OTLP_HEADERS: 'a=env,b=env',
    OTEL_SDK_DISABLED: 'true',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=env,team=env',
  };
  const exporter = new InMemorySpanExporter();

  it('applies every option', () => {
    const c = resolve(env, {
      disabled: false,
      serviceName: 'checkout',
      serviceVersion: '1.4.0',
      environment: 'production',
      resourceAttributes: { team: 'payments' },
      traces: ['otlp', exporter],
      metrics: 'prometheus',
      samplingRatio: 0.1,
      prometheus: { host: '127.0.0.1', port: 0, path: '/internal/metrics' },
      otlp: { endpoint: 'http://option-collector:4318', headers: { b: 'option' } },
      logLevel: 'error',
      shutdownOnSignals: true,
    });
    expect(c.disabled).toBe(false);
    expect(c.resourceAttributes).toEqual({
      'service.name': 'checkout',
      'service.version': '1.4.0',
      'deployment.environment.name': 'production',
      team: 'payments',
    });
    expect(c.traces).toEqual(['otlp', exporter]);
    expect(c.metrics).toEqual(['prometheus']);
    expect(c.sampler).toEqual({ kind: 'parentbased_traceidratio', ratio: 0.1 });
    expect(c.prometheus).toEqual({ host: '127.0.0.1', port: 0, path: '/internal/metrics' });
    // The option's base URL wins over the signal-specific variable as well.
    expect(c.otlp.tracesUrl).toBe('http://option-collector:4318/v1/traces');
    expect(c.otlp.headers).toEqual({ a: 'env', b: 'option' });
    expect(c.logLevel).toBe('error');
    expect(c.shutdownSignals).toEqual(['SIGTERM', 'SIGINT']);
  });

  it.each<[TelemetryOptions['shutdownOnSignals'], string[], boolean]>([
    [undefined, ['SIGTERM', 'SIGINT'], true],
    [true, ['SIGTERM', 'SIGINT'], false],
    [['SIGHUP', 'SIGHUP'], ['SIGHUP'], false],
    [false, [], false],
  ])(
    'shutdownOnSignals %o: signals %o, left to an application listener: %o',
    (option, signals, yields) => {
      const c = resolve({}, { shutdownOnSignals: option });
      expect(c.shutdownSignals).toEqual(signals);
      expect(c.signalsYieldToApplication).toBe(yields);
    },
  );

  it('a sampling ratio file: SIGUSR2 re-reads it, and with no sampler chosen the default is an adjustable parent-based ratio of 1', () => {
    const c = resolve({ OTEL_HTTP_SAMPLER_RATIO_FILE: '/etc/app/ratio' });
    expect(c.sampler).toEqual({ kind: 'parentbased_traceidratio', ratio: 1 });
    expect(c.samplingRatioFile).toBe('/etc/app/ratio');
    expect(c.samplingRatioSignal).toBe('SIGUSR2');
    expect(c.warnings).toEqual([]);
    const option = resolve(
      { OTEL_HTTP_SAMPLER_RATIO_FILE: '/etc/app/ratio' },
      { samplingRatio: 0.1, samplingRatioFile: 'ratio.txt' },
    );
    expect(option.samplingRatioFile).toBe('ratio.txt');
    expect(option.sampler).toEqual({ kind: 'parentbased_traceidratio', ratio: 0.1 });
    expect(resolve({}).samplingRatioFile).toBeUndefined();
    expect(resolve({}).samplingRatioSignal).toBeUndefined();
  });

  it('a sampling ratio file beside a fixed sampler, or with SIGUSR2 shutting down, is explained', () => {
    const fixed = resolve({ OTEL_TRACES_SAMPLER: 'always_off', OTEL_HTTP_SAMPLER_RATIO_FILE: 'r' });
    expect(fixed.samplingRatioFile).toBeUndefined();
    expect(fixed.warnings).toEqual([
      'the sampling ratio file r is ignored: always_off is not an adjustable ratio sampler',
    ]);
    const shuts = resolve({}, { samplingRatioFile: 'r', shutdownOnSignals: ['SIGUSR2'] });
    expect(shuts.samplingRatioFile).toBe('r');
    expect(shuts.samplingRatioSignal).toBeUndefined();
    expect(shuts.warnings[0]).toMatch(/SIGUSR2 shuts telemetry down here/);
  });

  it('a sampler object wins over the ratio', () => {
    const sampler = { shouldSample: () => ({ decision: 0 }), toString: () => 'mine' };
    expect(resolve({}, { sampler, samplingRatio: 0.5 }).sampler).toEqual({
      kind: 'custom',
      sampler,
    });
  });

  it.each<[TelemetryOptions, string]>([
    [{ samplingRatio: 2 }, 'options.samplingRatio'],
    [{ samplingRatio: Number.NaN }, 'options.samplingRatio'],
    [{ traces: 'jaeger' as never }, 'options.traces'],
    [{ traces: ['otlp', 'none'] }, 'options.traces'],
    [{ metrics: 'statsd' as never }, 'options.metrics'],
    [{ prometheus: { port: 70000 } }, 'options.prometheus.port'],
    [{ prometheus: { port: 1.5 } }, 'options.prometheus.port'],
    [{ prometheus: { path: 'metrics' } }, 'options.prometheus.path'],
    [{ otlp: { endpoint: 'collector' } }, 'options.otlp.endpoint'],
    [{ serviceName: '' }, 'options.serviceName'],
    [{ exportQueue: { maxQueueSize: 0 } }, 'options.exportQueue.maxQueueSize'],
    [{ shutdownTimeoutMillis: -1 }, 'options.shutdownTimeoutMillis'],
    [{ shutdownOnSignals: ['TERM' as never] }, 'options.shutdownOnSignals'],
    [{ logLevel: 'loud' as never }, 'options.logLevel'],
  ])('rejects %o', (options, setting) => {
    expect(() => resolve({}, options)).toThrow(TelemetryConfigError);
    try {
      resolve({}, options);
    } catch (error) {
      expect((error as TelemetryConfigError).setting).toBe(setting);
    }
  });
});
