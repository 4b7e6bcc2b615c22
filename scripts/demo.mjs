#!/usr/bin/env node
// The short end-to-end demo behind `pnpm demo` (which builds the packages first): an Express app
// instrumented with the built @otel-http/express, a real OpenTelemetry SDK, a handful of requests,
// then the spans it recorded and the Prometheus text scraped from the exporter over HTTP.
// Everything runs on loopback ports chosen by the OS; no configuration is needed.

import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import express from 'express';

// The built packages, loaded through their ESM entry points exactly as an application gets them.
const built = (pkg) => new URL(`../packages/${pkg}/dist/index.js`, import.meta.url);
for (const pkg of ['core', 'express']) {
  if (!existsSync(built(pkg))) {
    console.error(`${fileURLToPath(built(pkg))} is missing: run \`pnpm demo\` (it builds first).`);
    process.exit(1);
  }
}
const { otel } = await import(built('express').href);
const { withSpan } = await import(built('core').href);

/** Thrown by the nested router's failing route; its class name becomes `error.type`. */
class InventoryUnavailableError extends Error {
  name = 'InventoryUnavailableError';
}

async function freeLoopbackPort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// --- The SDK, registered globally as an application's telemetry setup would do -----------------

const resource = resourceFromAttributes({ 'service.name': 'otel-http-demo' });
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({
  resource,
  spanProcessors: [new SimpleSpanProcessor(spans)],
});
const metricsPort = await freeLoopbackPort();
const prometheus = new PrometheusExporter({
  host: '127.0.0.1',
  port: metricsPort,
  preventServerStart: true,
});
const meterProvider = new MeterProvider({ resource, readers: [prometheus] });

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(tracerProvider);
metrics.setGlobalMeterProvider(meterProvider);
await prometheus.startServer();

// --- The application ------------------------------------------------------------------------

const app = express();
app.use(otel()); // first, before any other middleware

app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id });
});

const api = express.Router();
api.get('/items/:itemId', async (req, res) => {
  // A child span of the request's server span, which is active in the handler.
  const item = await withSpan('load item', async () => ({ itemId: req.params.itemId }));
  res.json(item);
});
api.get('/boom', () => {
  throw new InventoryUnavailableError('the inventory service is down');
});
app.use('/api/v1', api);

// The application's own error handler; the instrumentation reports the error and leaves the
// response to it.
app.use((error, _req, res, _next) => {
  res.status(500).json({ error: error.message });
});

const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${server.address().port}`;

// --- Traffic ----------------------------------------------------------------------------------

const requests = ['/users/42', '/api/v1/items/7', '/no/such/page', '/api/v1/boom'];
console.log(
  `Express app on ${base}, Prometheus exporter on http://127.0.0.1:${metricsPort}/metrics\n`,
);
for (const path of requests) {
  const response = await fetch(base + path);
  await response.arrayBuffer();
  console.log(`GET ${path.padEnd(16)} -> ${response.status}`);
}

// A server span ends when the response has closed on the server side, which can be a moment
// after the client has read the body.
const serverSpans = () => spans.getFinishedSpans().filter((span) => span.kind === 1);
for (let attempt = 0; attempt < 100 && serverSpans().length < requests.length; attempt++) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

// --- What was recorded ------------------------------------------------------------------------

const ms = ([seconds, nanos]) => `${(seconds * 1e3 + nanos / 1e6).toFixed(1)} ms`;
const statusNames = ['UNSET', 'OK', 'ERROR'];
const recordedSpans = spans
  .getFinishedSpans()
  .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
console.log(`\nSpans (${recordedSpans.length}; child spans indented under their server span):`);
for (const span of recordedSpans) {
  const a = span.attributes;
  const fields = [
    (span.kind === 1 ? span.name : `  └ ${span.name}`).padEnd(26),
    `route=${a['http.route'] ?? '-'}`.padEnd(29),
    `http=${a['http.response.status_code'] ?? '-'}`.padEnd(9),
    `status=${statusNames[span.status.code]}`.padEnd(13),
    `error.type=${a['error.type'] ?? '-'}`.padEnd(37),
    ms(span.duration),
  ];
  console.log(`  ${fields.join(' ')}`);
}

const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
console.log(`\nPrometheus text from GET /metrics (${scrape.status}):\n`);
console.log((await scrape.text()).trimEnd());

// --- Shutdown ---------------------------------------------------------------------------------

const recorded = serverSpans().length;
server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await tracerProvider.shutdown();
await meterProvider.shutdown();

if (recorded !== requests.length) {
  console.error(`\nexpected ${requests.length} server spans, got ${recorded}`);
  process.exit(1);
}
