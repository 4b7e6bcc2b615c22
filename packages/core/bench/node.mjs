// Micro-benchmark of the Node start/end path: `startNodeRequest` on a real `IncomingMessage` and
// `ServerResponse` (no socket), a listener on the request's 'end' and the response's 'finish',
// `writeHead`, `end`, 'close'. Against the same request handled without telemetry, in the same run.
// Run after a build: `node bench/node.mjs` in packages/core.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createServerInstrumentation } from '../dist/index.js';
import { startNodeRequest } from '../dist/node.js';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ITERATIONS = Number(process.env.ITERATIONS ?? 100_000);

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  async onForceFlush() {}
  async onShutdown() {}
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

let ended = 0;
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [
    {
      onStart() {},
      onEnd() {
        ended++;
      },
      async forceFlush() {},
      async shutdown() {},
    },
  ],
});
const meterProvider = new MeterProvider({ readers: [new Reader()] });
const instrumentation = createServerInstrumentation({ tracerProvider, meterProvider });
const socket = new Socket();

function request(withTelemetry) {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = '/users/42';
  req.httpVersion = '1.1';
  req.headers = { host: '127.0.0.1:3000', 'user-agent': 'bench/1.0' };
  const res = new ServerResponse(req);
  const handle = withTelemetry ? startNodeRequest(instrumentation, req, res) : undefined;
  handle?.setRoute('/users/:id');
  let events = 0;
  req.on('end', () => events++);
  res.on('finish', () => events++);
  req.emit('end');
  res.writeHead(200, { 'content-type': 'application/json' });
  res.emit('finish');
  res.emit('close');
  return events;
}

function measure(withTelemetry) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) request(withTelemetry);
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
measure(true);
measure(false);
const ours = [];
const bare = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    ours.push(measure(true));
    bare.push(measure(false));
  } else {
    bare.push(measure(false));
    ours.push(measure(true));
  }
}
const fmt = (n) => n.toFixed(0).padStart(6);
console.log(
  `node ${process.version}, ${ROUNDS} rounds × ${ITERATIONS} requests, spans ended: ${ended}`,
);
console.log(
  `startNodeRequest path   ${fmt(median(ours))} ns/request  (min ${fmt(Math.min(...ours))})`,
);
console.log(
  `bare request objects    ${fmt(median(bare))} ns/request  (min ${fmt(Math.min(...bare))})`,
);
console.log(`telemetry per request   ${fmt(median(ours) - median(bare))} ns`);

// Allocation, as in lifecycle.mjs: the sampling heap profiler, keeping what the GC already freed.
async function allocatedPerRequest(withTelemetry, session) {
  const count = 50_000;
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < count; i++) request(withTelemetry);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  let bytes = 0;
  const visit = (node) => {
    bytes += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  return bytes / count;
}

const { Session } = await import('node:inspector/promises');
const session = new Session();
session.connect();
const allocated = {
  ours: await allocatedPerRequest(true, session),
  bare: await allocatedPerRequest(false, session),
};
session.disconnect();
console.log(
  `allocated per request   startNodeRequest path ${fmt(allocated.ours)} B, bare ${fmt(allocated.bare)} B`,
);
