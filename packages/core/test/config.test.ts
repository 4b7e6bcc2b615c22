import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { DEFAULT_KNOWN_METHODS, DEFAULT_REDACTED_QUERY_PARAMS } from '../src/semconv.js';

const saved = { ...process.env };
afterEach(() => {
  for (const key of ['OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS', 'OTEL_SEMCONV_STABILITY_OPT_IN']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

describe('resolveConfig', () => {
  it('has privacy-preserving, stable defaults', () => {
    const config = resolveConfig({});
    expect(config).toMatchObject({
      tracing: true,
      recordException: true,
      emitOldSemconv: false,
      trustProxy: false,
      traceResponseHeader: false,
      captureRequestHeaders: [],
      captureResponseHeaders: [],
      metrics: {
        duration: true,
        activeRequests: true,
        requestBodySize: false,
        responseBodySize: false,
      },
    });
    expect([...config.knownMethods]).toEqual(DEFAULT_KNOWN_METHODS);
    expect([...config.redactQueryParams]).toEqual(DEFAULT_REDACTED_QUERY_PARAMS);
    expect([...config.sensitiveHeaders]).toEqual([
      'authorization',
      'cookie',
      'set-cookie',
      'proxy-authorization',
    ]);
  });

  it.each([
    [{ OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'GET,PURGE' }, {}, ['GET', 'PURGE']],
    [{ OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: ' GET , POST ,, ' }, {}, ['GET', 'POST']],
    [{ OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: ' , ' }, {}, DEFAULT_KNOWN_METHODS],
    [{ OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'GET' }, { knownMethods: ['PUT'] }, ['PUT']],
  ])('known methods from env %j and options %j', (env, options, expected) => {
    Object.assign(process.env, env);
    expect([...resolveConfig(options).knownMethods]).toEqual(expected);
  });

  it.each([
    [undefined, undefined, false],
    ['http', undefined, false],
    ['http/dup', undefined, true],
    ['database, http/dup', undefined, true],
    ['HTTP/DUP', undefined, true],
    ['http/dup', 'stable' as const, false],
    [undefined, 'dup' as const, true],
  ])('OTEL_SEMCONV_STABILITY_OPT_IN=%j with option %j → old names %j', (env, option, expected) => {
    if (env !== undefined) process.env.OTEL_SEMCONV_STABILITY_OPT_IN = env;
    expect(resolveConfig({ semconvStability: option }).emitOldSemconv).toBe(expected);
  });

  it('extends or replaces the query redaction list, and lower-cases header names', () => {
    expect([...resolveConfig({ redactQueryParams: ['token'] }).redactQueryParams]).toContain(
      'token',
    );
    expect([...resolveConfig({ redactQueryParams: () => ['only'] }).redactQueryParams]).toEqual([
      'only',
    ]);
    const config = resolveConfig({
      captureRequestHeaders: ['X-A', 'x-a', ' '],
      sensitiveHeaders: ['X-Api-Key'],
    });
    expect(config.captureRequestHeaders).toEqual(['x-a']);
    expect(config.sensitiveHeaders.has('x-api-key')).toBe(true);
  });

  it('turns metrics off entirely or one by one', () => {
    expect(resolveConfig({ metrics: false }).metrics).toEqual({
      duration: false,
      activeRequests: false,
      requestBodySize: false,
      responseBodySize: false,
    });
    expect(
      resolveConfig({ metrics: { activeRequests: false, requestBodySize: true } }).metrics,
    ).toEqual({
      duration: true,
      activeRequests: false,
      requestBodySize: true,
      responseBodySize: false,
    });
  });
});
