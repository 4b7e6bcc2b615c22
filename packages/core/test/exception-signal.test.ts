import { once } from 'node:events';
import { createServer, get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanStatusCode } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentedFetch } from '../src/client/index.js';
import { resolveConfig } from '../src/config.js';
import { exceptionAttributes, exceptionOf, exceptionSignalOf } from '../src/errors.js';
import type { OtelHttpOptions } from '../src/index.js';
import { createTelemetry, registerGlobals, startServer } from './harness.js';

let restoreGlobals: () => void;
beforeAll(() => {
  restoreGlobals = registerGlobals();
});
afterAll(() => restoreGlobals());

const saved = process.env.OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
  if (saved === undefined) delete process.env.OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN;
  else process.env.OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN = saved;
});

class BoomError extends Error {
  override name = 'BoomError';
}

function createLogs() {
  const exporter = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  return { exporter, loggerProvider, records: () => exporter.getFinishedLogRecords() };
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false }, (res) =>
      res.resume().on('end', () => resolve(res.statusCode ?? 0)),
    ).on('error', reject);
  });
}

/** A server whose handler throws `BoomError` (answered 500), with the given options. */
async function failingServer(options: OtelHttpOptions) {
  const server = await startServer(options, () => {
    throw new BoomError('it broke');
  });
  closers.push(server.close);
  return server;
}

describe('OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN', () => {
  it.each([
    [undefined, 'span'],
    ['', 'span'],
    ['logs', 'logs'],
    ['LOGS', 'logs'],
    ['logs/dup', 'logs/dup'],
    ['http, logs/dup', 'logs/dup'],
    ['logs,logs/dup', 'logs/dup'],
    ['spans', 'span'],
  ])('%j → %s', (value, expected) => {
    expect(exceptionSignalOf(value)).toBe(expected);
  });

  it('the option wins over the variable; a wrong option keeps the variable', () => {
    process.env.OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN = 'logs';
    expect(resolveConfig({}).exceptionSignal).toBe('logs');
    expect(resolveConfig({ exceptionSignal: 'span' }).exceptionSignal).toBe('span');
    expect(
      resolveConfig({ exceptionSignal: 'log' as OtelHttpOptions['exceptionSignal'] })
        .exceptionSignal,
    ).toBe('logs');
  });

  it('exception attributes mirror the span event: code or name as type, message, stack', () => {
    const error = Object.assign(new BoomError('m'), { code: 'E_BOOM' });
    expect(exceptionAttributes(exceptionOf(error))).toMatchObject({
      'exception.type': 'E_BOOM',
      'exception.message': 'm',
    });
    expect(exceptionAttributes(exceptionOf(new BoomError('m')))['exception.type']).toBe(
      'BoomError',
    );
    expect(exceptionAttributes(exceptionOf('plain text'))).toEqual({
      'exception.message': 'plain text',
    });
  });
});

describe('server exceptions per signal', () => {
  it('default: an exception span event, no log record', async () => {
    const t = createTelemetry();
    const l = createLogs();
    const server = await failingServer({ ...t, loggerProvider: l.loggerProvider });
    expect(await get(`${server.url}/x`)).toBe(500);
    const [span] = await t.waitForSpans(1);
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
    expect(span?.events[0]?.attributes?.['exception.type']).toBe('BoomError');
    expect(l.records()).toHaveLength(0);
  });

  it('logs: a http.server.request.exception record at ERROR in the span context, no span event', async () => {
    process.env.OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN = 'logs';
    const t = createTelemetry();
    const l = createLogs();
    const server = await failingServer({ ...t, loggerProvider: l.loggerProvider });
    expect(await get(`${server.url}/x`)).toBe(500);
    const [span] = await t.waitForSpans(1);
    expect(span?.events).toEqual([]);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('BoomError');
    const records = l.records();
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record?.eventName).toBe('http.server.request.exception');
    expect(record?.severityNumber).toBe(17);
    expect(record?.severityText).toBe('ERROR');
    expect(record?.attributes).toMatchObject({
      'exception.type': 'BoomError',
      'exception.message': 'it broke',
    });
    expect(String(record?.attributes['exception.stacktrace'])).toContain('BoomError: it broke');
    expect(record?.spanContext?.traceId).toBe(span?.spanContext().traceId);
    expect(record?.spanContext?.spanId).toBe(span?.spanContext().spanId);
  });

  it('logs/dup (as an option): both the span event and the log record', async () => {
    const t = createTelemetry();
    const l = createLogs();
    const server = await failingServer({
      ...t,
      loggerProvider: l.loggerProvider,
      exceptionSignal: 'logs/dup',
    });
    await get(`${server.url}/x`);
    const [span] = await t.waitForSpans(1);
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
    expect(l.records().map((record) => record.eventName)).toEqual([
      'http.server.request.exception',
    ]);
  });

  it('recordException: false records neither', async () => {
    const t = createTelemetry();
    const l = createLogs();
    const server = await failingServer({
      ...t,
      loggerProvider: l.loggerProvider,
      exceptionSignal: 'logs/dup',
      recordException: false,
    });
    await get(`${server.url}/x`);
    const [span] = await t.waitForSpans(1);
    expect(span?.events).toEqual([]);
    expect(l.records()).toHaveLength(0);
  });

  it('without a loggerProvider option, the global one of @opentelemetry/api-logs is used', async () => {
    const t = createTelemetry();
    const l = createLogs();
    logs.setGlobalLoggerProvider(l.loggerProvider);
    try {
      const server = await failingServer({ ...t, exceptionSignal: 'logs' });
      await get(`${server.url}/x`);
      await t.waitForSpans(1);
      expect(l.records().map((record) => record.eventName)).toEqual([
        'http.server.request.exception',
      ]);
    } finally {
      logs.disable();
    }
  });

  it('a 4xx without an error and a thrown error answered 4xx record no exception', async () => {
    const t = createTelemetry();
    const l = createLogs();
    const server = await startServer(
      { ...t, loggerProvider: l.loggerProvider, exceptionSignal: 'logs/dup' },
      (_req, res, handle) => {
        handle?.recordError(new BoomError('not found'));
        res.writeHead(404).end();
      },
    );
    closers.push(server.close);
    await get(`${server.url}/x`);
    const [span] = await t.waitForSpans(1);
    expect(span?.events).toEqual([]);
    expect(l.records()).toHaveLength(0);
  });
});

describe('client exceptions per signal, and cancellation', () => {
  async function target() {
    const server = createServer((_req, res) => {
      setTimeout(() => res.end('late'), 200);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('logs: a refused connection is a http.client.request.exception at WARN, no span event', async () => {
    const t = createTelemetry();
    const l = createLogs();
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const fetch = instrumentedFetch(undefined, {
      ...t,
      loggerProvider: l.loggerProvider,
      exceptionSignal: 'logs',
    });
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    const [span] = await t.waitForSpans(1);
    expect(span?.events).toEqual([]);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('ECONNREFUSED');
    const [record] = l.records();
    expect(record?.eventName).toBe('http.client.request.exception');
    expect(record?.severityNumber).toBe(13);
    expect(record?.severityText).toBe('WARN');
    expect(record?.attributes['exception.type']).toBe('TypeError');
    expect(record?.spanContext?.spanId).toBe(span?.spanContext().spanId);
  });

  it('a call the caller aborts is not an error: status UNSET, no error.type, no exception', async () => {
    const t = createTelemetry();
    const l = createLogs();
    const url = await target();
    const fetch = instrumentedFetch(undefined, {
      ...t,
      loggerProvider: l.loggerProvider,
      exceptionSignal: 'logs/dup',
    });
    const controller = new AbortController();
    const call = fetch(url, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    const [span] = await t.waitForSpans(1);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.attributes).not.toHaveProperty(['error.type']);
    expect(span?.events).toEqual([]);
    expect(l.records()).toHaveLength(0);
    const points = await t.histogramPoints('http.client.request.duration');
    expect(points).toHaveLength(1);
    expect(points[0]?.attributes).not.toHaveProperty(['error.type']);
  });

  it('a timeout signal is a failure: error.type TimeoutError, status ERROR', async () => {
    const t = createTelemetry();
    const url = await target();
    const fetch = instrumentedFetch(undefined, t);
    await expect(fetch(url, { signal: AbortSignal.timeout(20) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    const [span] = await t.waitForSpans(1);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('TimeoutError');
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
  });
});
