import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { withSpan } from '@otel-http/core';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pinoTraceMixin, startTelemetry, type Telemetry } from '../src/index.js';
import { resetGlobals } from './support/globals.js';
import { startInstrumentedServer, waitForAsync } from './support/loopback.js';

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
const lines: Array<Record<string, unknown>> = [];
// Synchronous destination: every line is parsed as pino writes it.
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  },
});
const log = pino({ mixin: pinoTraceMixin }, destination);

beforeAll(() => {
  telemetry = startTelemetry({ traces: exporter, metrics: 'none', logLevel: 'none' });
});

afterAll(async () => {
  await telemetry.shutdown();
  resetGlobals();
});

it('pino lines written inside a request carry its trace_id and span_id; others carry none', async () => {
  log.info('starting');
  const service = await startInstrumentedServer(async (_req, res, handle) => {
    handle?.setRoute('/checkout');
    log.info('checkout started');
    await withSpan('charge card', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.warn({ amount: 42 }, 'charging');
    });
    res.end('ok');
  });
  try {
    await Promise.all([fetch(`${service.url}/checkout`), fetch(`${service.url}/checkout`)]);
  } finally {
    await service.close();
  }
  await waitForAsync(async () => {
    await telemetry.forceFlush();
    return exporter.getFinishedSpans().length === 4;
  }, 'two server spans and two child spans');

  const spans = exporter.getFinishedSpans();
  const servers = spans.filter((span) => span.name === 'GET /checkout');
  const children = spans.filter((span) => span.name === 'charge card');
  expect(servers).toHaveLength(2);

  const starting = lines.find((line) => line.msg === 'starting');
  expect(starting).toBeDefined();
  expect(starting).not.toHaveProperty('trace_id');
  expect(starting).not.toHaveProperty('span_id');

  // Two concurrent requests: each line carries the ids of its own request.
  const started = lines.filter((line) => line.msg === 'checkout started');
  expect(started).toHaveLength(2);
  expect(new Set(started.map((line) => line.trace_id))).toEqual(
    new Set(servers.map((span) => span.spanContext().traceId)),
  );
  for (const line of started) {
    const server = servers.find((span) => span.spanContext().traceId === line.trace_id);
    expect(line.span_id).toBe(server?.spanContext().spanId);
    expect(line.trace_flags).toBe('01');
  }
  // Inside a child span, the child's span_id.
  const charging = lines.filter((l) => l.msg === 'charging');
  expect(charging).toHaveLength(2);
  for (const line of charging) {
    const child = children.find((span) => span.spanContext().traceId === line.trace_id);
    expect(line.span_id).toBe(child?.spanContext().spanId);
    expect(line.amount).toBe(42);
  }
});
