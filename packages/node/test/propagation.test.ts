import { propagation, SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { fetchWithTracing } from '@otel-http/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '../src/index.js';
import { resetGlobals } from './support/globals.js';
import {
  type InstrumentedServer,
  startInstrumentedServer,
  waitForAsync,
} from './support/loopback.js';

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let inventory: InstrumentedServer;
let orders: InstrumentedServer;
let baggageSeenByInventory: string | undefined;

beforeAll(async () => {
  telemetry = startTelemetry({ traces: exporter, metrics: 'none', logLevel: 'none' });
  // Two services, each instrumented the way every adapter is: one calls the other with fetch.
  inventory = await startInstrumentedServer((_req, res, handle) => {
    handle?.setRoute('/inventory/:sku');
    baggageSeenByInventory = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
    res.setHeader('content-type', 'application/json');
    res.end('{"inStock":3}');
  });
  orders = await startInstrumentedServer(async (_req, res, handle) => {
    handle?.setRoute('/orders/:id');
    const stock = await fetchWithTracing(`${inventory.url}/inventory/abc-1`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ stock: await stock.json() }));
  });
});

afterAll(async () => {
  await orders.close();
  await inventory.close();
  await telemetry.shutdown();
  resetGlobals();
});

it('a fetch from one instrumented service to another continues the same trace', async () => {
  const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpanId = '00f067aa0ba902b7';
  const response = await fetch(`${orders.url}/orders/7`, {
    headers: {
      traceparent: `00-${callerTraceId}-${callerSpanId}-01`,
      baggage: 'tenant=acme',
    },
  });
  expect(await response.json()).toEqual({ stock: { inStock: 3 } });
  // Server spans end at the response's 'close', just after the client has its answer.
  await waitForAsync(async () => {
    await telemetry.forceFlush();
    return exporter.getFinishedSpans().length >= 3;
  }, 'the spans of both services');

  const spans = exporter.getFinishedSpans();
  const ordersSpan = spans.find((s) => s.name === 'GET /orders/:id');
  const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT);
  const inventorySpan = spans.find((s) => s.name === 'GET /inventory/:sku');
  expect(ordersSpan?.kind).toBe(SpanKind.SERVER);
  expect(inventorySpan?.kind).toBe(SpanKind.SERVER);

  // One trace, from the caller's traceparent through both services.
  for (const span of [ordersSpan, clientSpan, inventorySpan]) {
    expect(span?.spanContext().traceId).toBe(callerTraceId);
  }
  expect(ordersSpan?.parentSpanContext?.spanId).toBe(callerSpanId);
  expect(clientSpan?.parentSpanContext?.spanId).toBe(ordersSpan?.spanContext().spanId);
  expect(inventorySpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
  expect(inventorySpan?.parentSpanContext?.isRemote).toBe(true);

  expect(clientSpan?.name).toBe('GET');
  expect(clientSpan?.attributes).toMatchObject({
    'http.request.method': 'GET',
    'url.full': `${inventory.url}/inventory/abc-1`,
    'http.response.status_code': 200,
    'server.address': '127.0.0.1',
  });
  // Baggage travels with the context.
  expect(baggageSeenByInventory).toBe('acme');
});
