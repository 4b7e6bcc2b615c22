import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  context,
  DiagLogLevel,
  diag,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServerInstrumentation, recordRequestError } from '../src/index.js';
import { startNodeRequest } from '../src/node.js';
import { createTelemetry, registerGlobals, startServer } from './harness.js';

let restoreGlobals: () => void;
beforeAll(() => {
  restoreGlobals = registerGlobals();
});
afterAll(() => restoreGlobals());

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

/** Starts the test server while a `boot` span (with baggage) is active, as a traced startup does. */
async function serveDuringBoot(
  t: ReturnType<typeof createTelemetry>,
  options: Parameters<typeof startServer>[0],
  handler: Parameters<typeof startServer>[1],
) {
  const boot = t.tracerProvider.getTracer('app').startSpan('boot');
  const bootContext = propagation.setBaggage(
    trace.setSpan(context.active(), boot),
    propagation.createBaggage({ startup: { value: 'yes' } }),
  );
  const server = await context.with(bootContext, () => startServer(options, handler));
  closers.push(server.close);
  return { server, boot };
}

describe('the parent of a server span is the caller, never the ambient context', () => {
  it('a request without traceparent starts a new trace while a startup span is active', async () => {
    const t = createTelemetry();
    let handlerBaggage: unknown = 'unset';
    const { server, boot } = await serveDuringBoot(t, t, (_req, res) => {
      handlerBaggage = propagation.getBaggage(context.active())?.getEntry('startup');
      res.end('ok');
    });
    await fetch(`${server.url}/a`);
    await fetch(`${server.url}/b`);
    const spans = await t.waitForSpans(2);
    expect(spans).toHaveLength(2);
    const bootTrace = boot.spanContext().traceId;
    for (const span of spans) {
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.spanContext().traceId).not.toBe(bootTrace);
    }
    expect(spans[0]?.spanContext().traceId).not.toBe(spans[1]?.spanContext().traceId);
    expect(handlerBaggage).toBeUndefined();
    boot.end();
  });

  it('a request with traceparent continues the caller, not the startup span', async () => {
    const t = createTelemetry();
    const { server } = await serveDuringBoot(t, t, (_req, res) => void res.end());
    await fetch(server.url, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
    const [span] = await t.waitForSpans(1);
    expect(span?.spanContext().traceId).toBe(TRACE_ID);
    expect(span?.parentSpanContext?.spanId).toBe(PARENT_ID);
  });

  it('metrics-only mode never names, annotates, ends or hands to hooks a span it did not start', async () => {
    const t = createTelemetry();
    const hooked: unknown[] = [];
    let seenByHandler: ReturnType<typeof trace.getActiveSpan>;
    const { server, boot } = await serveDuringBoot(
      t,
      {
        tracerProvider: t.tracerProvider,
        meterProvider: t.meterProvider,
        tracing: false,
        route: () => '/u/:id',
        requestHook: (span) => hooked.push(span),
        responseHook: (span) => hooked.push(span),
      },
      (_req, res) => {
        seenByHandler = trace.getActiveSpan();
        res.end();
      },
    );
    await fetch(`${server.url}/u/1`);
    const points = await t.histogramPoints('http.server.request.duration');
    expect(points.reduce((n, p) => n + p.value.count, 0)).toBe(1);
    expect(points[0]?.attributes['http.route']).toBe('/u/:id');
    expect(hooked).toEqual([]);
    expect(seenByHandler).toBeUndefined();
    boot.end();
    const [exported] = await t.waitForSpans(1);
    expect(exported?.name).toBe('boot');
    expect(exported?.attributes).toEqual({});
  });
});

describe('a request reaching a second middleware is recorded once', () => {
  it('starts no second span and records no second duration, and says so once', async () => {
    const t = createTelemetry();
    const warnings: string[] = [];
    diag.setLogger(
      {
        error() {},
        warn: (...args: unknown[]) => warnings.push(args.join(' ')),
        info() {},
        debug() {},
        verbose() {},
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    try {
      const outer = createServerInstrumentation(t);
      const inner = createServerInstrumentation(t);
      const server = createServer((req, res) => {
        const first = startNodeRequest(outer, req, res);
        context.with(first?.context ?? context.active(), () => {
          const second = startNodeRequest(inner, req, res);
          expect(second).toBeUndefined();
          res.end();
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      closers.push(() => new Promise((resolve) => server.close(() => resolve())));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await fetch(url);
      await fetch(url);
      expect(await t.waitForSpans(2)).toHaveLength(2);
      const points = await t.histogramPoints('http.server.request.duration');
      expect(points.reduce((n, p) => n + p.value.count, 0)).toBe(2);
      expect(warnings.filter((m) => m.includes('second otel-http middleware'))).toHaveLength(1);
    } finally {
      diag.disable();
    }
  });
});

describe('an untrusted caller', () => {
  it('gets a link, and its baggage header is never read', async () => {
    const t = createTelemetry();
    const asked: string[] = [];
    const w3c = new W3CTraceContextPropagator();
    const recording: TextMapPropagator = {
      inject: () => {},
      fields: () => ['traceparent', 'baggage'],
      extract(ctx, carrier, getter: TextMapGetter) {
        for (const key of ['traceparent', 'baggage']) {
          if (getter.get(carrier, key) !== undefined) asked.push(key);
        }
        return w3c.extract(ctx, carrier, getter);
      },
    };
    const server = await startServer(
      { ...t, propagator: recording, trustRemoteContext: false },
      (_req, res) => void res.end(),
    );
    closers.push(server.close);
    await fetch(server.url, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'a=1' },
    });
    const [span] = await t.waitForSpans(1);
    expect(span?.links[0]?.context.traceId).toBe(TRACE_ID);
    expect(span?.parentSpanContext).toBeUndefined();
    expect(asked).toEqual(['traceparent']);
  });
});

describe('whatever is thrown, the span ends exactly once', () => {
  const hostile: Array<[string, () => unknown]> = [
    [
      'a Proxy whose traps all throw',
      () =>
        new Proxy(
          {},
          {
            get() {
              throw new Error('proxy trap');
            },
            getPrototypeOf() {
              throw new Error('proxy trap');
            },
          },
        ),
    ],
    [
      'a revoked Proxy',
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
    [
      'an Error whose getters throw',
      () => {
        const error = new Error('x');
        for (const field of ['stack', 'message', 'name']) {
          Object.defineProperty(error, field, {
            get() {
              throw new Error('getter');
            },
          });
        }
        return error;
      },
    ],
    ['a frozen Error', () => Object.freeze(new TypeError('frozen'))],
    ['a Symbol', () => Symbol('thrown')],
    ['Object.create(null)', () => Object.create(null)],
  ];

  it.each(hostile.map(([label]) => label))('%s', async (label) => {
    const make = hostile.find(([each]) => each === label)?.[1] as () => unknown;
    const t = createTelemetry();
    const errors: unknown[] = [];
    diag.setLogger(
      { error: (...args) => errors.push(args), warn() {}, info() {}, debug() {}, verbose() {} },
      { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true },
    );
    try {
      const server = await startServer(t, () => {
        throw make();
      });
      closers.push(server.close);
      const response = await fetch(server.url);
      expect(response.status).toBe(500);
      const spans = await t.waitForSpans(1);
      expect(spans).toHaveLength(1);
      expect(spans[0]?.attributes['http.response.status_code']).toBe(500);
      expect(typeof spans[0]?.attributes['error.type']).toBe('string');
      expect(spans[0]?.events.filter((event) => event.name === 'exception')).toHaveLength(1);
      expect(errors).toEqual([]);
    } finally {
      diag.disable();
    }
  });

  it('caps the exception event of an error carrying megabytes of text', async () => {
    const t = createTelemetry();
    const server = await startServer({ ...t, exceptionLimits: { messageLength: 100 } }, () => {
      throw new Error('m'.repeat(10 * 1024 * 1024));
    });
    closers.push(server.close);
    await fetch(server.url);
    const [span] = await t.waitForSpans(1);
    const event = span?.events.find((each) => each.name === 'exception');
    expect(String(event?.attributes?.['exception.message'])).toHaveLength(100);
    expect(String(event?.attributes?.['exception.stacktrace'])).toHaveLength(16384);
    expect(event?.attributes?.['exception.type']).toBe('Error');
  });

  it('reports an error through recordRequestError from anywhere in the request', async () => {
    const t = createTelemetry();
    const server = await startServer(t, (_req, res) => {
      recordRequestError(Object.create(null));
      res.writeHead(503).end();
    });
    closers.push(server.close);
    await fetch(server.url);
    const [span] = await t.waitForSpans(1);
    expect(span?.attributes['error.type']).toBe('_OTHER');
  });
});
