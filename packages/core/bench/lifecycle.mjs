// Micro-benchmark: what one request's telemetry costs in core (start + setRoute + end), against a
// hand-written minimum (one startSpan/end and one histogram.record) measured in the same run.
// Run after a build: `pnpm --filter @otel-http/core bench`. Prints ns per request and the ratio,
// then the bytes each allocates per request.
import { context, propagation, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createServerInstrumentation, DURATION_BUCKETS_SECONDS } from '../dist/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ITERATIONS = Number(process.env.ITERATIONS ?? 200_000);

class Reader extends MetricReader {
  constructor(options = {}) {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE, ...options });
  }
  async onForceFlush() {}
  async onShutdown() {}
}

/** Counts ended spans, so the SDK does its real end-of-span work but nothing is exported. */
class CountingProcessor {
  ended = 0;
  onStart() {}
  onEnd() {
    this.ended++;
  }
  async forceFlush() {}
  async shutdown() {}
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const processor = new CountingProcessor();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [processor] });
const meterProvider = new MeterProvider({ readers: [new Reader()] });

const headers = { host: '127.0.0.1:3000', 'user-agent': 'bench/1.0', accept: 'application/json' };
const info = {
  method: 'GET',
  scheme: 'http',
  path: '/users/42',
  query: undefined,
  header: (name) => headers[name],
  peerAddress: '127.0.0.1',
  peerPort: 50000,
  protocolVersion: '1.1',
};

const instrumentation = createServerInstrumentation({ tracerProvider, meterProvider });
function otelHttp() {
  const handle = instrumentation.start(info);
  handle.setRoute('/users/:id');
  handle.end({ statusCode: 200 });
}

const tracer = tracerProvider.getTracer('floor');
const histogram = meterProvider.getMeter('floor').createHistogram('http.server.request.duration', {
  unit: 's',
  advice: { explicitBucketBoundaries: DURATION_BUCKETS_SECONDS },
});
function floor() {
  const start = performance.now();
  const span = tracer.startSpan('GET', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'url.path': '/users/42', 'url.scheme': 'http' },
  });
  span.setAttribute('http.response.status_code', 200);
  span.updateName('GET /users/:id');
  span.end();
  histogram.record((performance.now() - start) / 1000, {
    'http.request.method': 'GET',
    'url.scheme': 'http',
    'http.response.status_code': 200,
    'http.route': '/users/:id',
  });
}

function measure(fn) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) fn();
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Warm-up: let both reach optimised code before measuring.
measure(otelHttp);
measure(floor);

const ours = [];
const minimal = [];
const ratios = [];
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order each round so neither always runs on a warmer or fuller heap.
  let c;
  let d;
  if (round % 2 === 0) {
    c = measure(otelHttp);
    d = measure(floor);
  } else {
    d = measure(floor);
    c = measure(otelHttp);
  }
  ours.push(c);
  minimal.push(d);
  ratios.push(c / d);
}

const fmt = (n) => n.toFixed(0).padStart(6);
console.log(
  `node ${process.version}, ${ROUNDS} rounds × ${ITERATIONS} requests, spans ended: ${processor.ended}`,
);
console.log(
  `otel-http start+setRoute+end  ${fmt(median(ours))} ns/request  (min ${fmt(Math.min(...ours))})`,
);
console.log(
  `hand-written floor            ${fmt(median(minimal))} ns/request  (min ${fmt(Math.min(...minimal))})`,
);
console.log(
  `ratio otel-http / floor        ${median(ratios).toFixed(2)}×  (per round ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
);

// Allocation: V8's sampling heap profiler, keeping the samples of objects the GC already freed,
// so that it counts every byte allocated (to within its sampling), not what is still alive.
async function allocatedPerRequest(fn, session) {
  const count = 100_000;
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < count; i++) fn();
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
  ours: await allocatedPerRequest(otelHttp, session),
  floor: await allocatedPerRequest(floor, session),
};
session.disconnect();
console.log(
  `allocated per request          otel-http ${fmt(allocated.ours)} B, floor ${fmt(allocated.floor)} B ` +
    `(${(allocated.ours / allocated.floor).toFixed(2)}×)`,
);

// The RED metrics through the API instruments against otel-http's RedMetricProducer on the
// reader, in metrics-only mode (no spans), so that the metric path is all there is to compare.
// Each request is one of 20 series (routes × statuses), as an application's traffic spreads.
const { RedMetricProducer } = await import('../dist/index.js');
const apiMetrics = createServerInstrumentation({
  tracing: false,
  meterProvider: new MeterProvider({ readers: [new Reader()] }),
});
const producerReader = new Reader({ metricProducers: [new RedMetricProducer()] });
const producerMetrics = createServerInstrumentation({
  tracing: false,
  meterProvider: new MeterProvider({ readers: [producerReader] }),
});
const ROUTES = ['/users/:id', '/items/:id', '/orders', '/health/deep', '/search'];
const STATUSES = [200, 404, 500, 201];
let next = 0;
const metricsOnly = (instrumentation) => () => {
  const i = next++;
  const handle = instrumentation.start(info);
  handle.setRoute(ROUTES[i % 5]);
  handle.end({ statusCode: STATUSES[(i >> 3) % 4] });
};
const api = metricsOnly(apiMetrics);
const produced = metricsOnly(producerMetrics);
measure(api);
measure(produced);
const apiTimes = [];
const producerTimes = [];
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    apiTimes.push(measure(api));
    producerTimes.push(measure(produced));
  } else {
    producerTimes.push(measure(produced));
    apiTimes.push(measure(api));
  }
}
const metricSession = new Session();
metricSession.connect();
const metricBytes = {
  api: await allocatedPerRequest(api, metricSession),
  producer: await allocatedPerRequest(produced, metricSession),
};
metricSession.disconnect();
const collected = await producerReader.collect();
const series = collected.resourceMetrics.scopeMetrics[0].metrics[0].dataPoints.length;
console.log(`\nmetrics only (tracing: false), ${series} series`);
console.log(
  `RED through API instruments   ${fmt(median(apiTimes))} ns/request  ${fmt(metricBytes.api)} B/request`,
);
console.log(
  `RED through RedMetricProducer ${fmt(median(producerTimes))} ns/request  ${fmt(metricBytes.producer)} B/request  (${(median(producerTimes) / median(apiTimes)).toFixed(2)}× the time, ${(metricBytes.producer / metricBytes.api).toFixed(2)}× the bytes)`,
);

// What an unsampled request costs over metrics-only mode, and a sampled one, all three with the
// producer on the reader and the same 20 series: the sampler says no (AlwaysOff), so everything
// beyond the metrics is the span work an unsampled request still pays.
const { AlwaysOffSampler } = await import('@opentelemetry/sdk-trace-base');
const producerInstrumentation = (options) =>
  createServerInstrumentation({
    meterProvider: new MeterProvider({
      readers: [new Reader({ metricProducers: [new RedMetricProducer()] })],
    }),
    ...options,
  });
const modes = [
  ['metrics only (tracing: false)', metricsOnly(producerInstrumentation({ tracing: false }))],
  [
    'unsampled (AlwaysOff sampler)',
    metricsOnly(
      producerInstrumentation({
        tracerProvider: new BasicTracerProvider({ sampler: new AlwaysOffSampler() }),
      }),
    ),
  ],
  [
    'sampled (AlwaysOn, span ended)',
    metricsOnly(
      producerInstrumentation({
        tracerProvider: new BasicTracerProvider({ spanProcessors: [new CountingProcessor()] }),
      }),
    ),
  ],
];
for (const [, fn] of modes) measure(fn);
const modeTimes = modes.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
  for (const i of order) modeTimes[i].push(measure(modes[i][1]));
}
const modeSession = new Session();
modeSession.connect();
const modeBytes = [];
for (const [, fn] of modes) modeBytes.push(await allocatedPerRequest(fn, modeSession));
modeSession.disconnect();
console.log('\nwith RedMetricProducer, by sampling decision');
const metricsOnlyTime = median(modeTimes[0]);
for (const [i, [name]] of modes.entries()) {
  const time = median(modeTimes[i]);
  console.log(
    `${name.padEnd(30)}${fmt(time)} ns/request  ${fmt(modeBytes[i])} B/request  (+${fmt(time - metricsOnlyTime)} ns over metrics only)`,
  );
}

// Hostile inputs: the cost of one request whose headers or query are built to make parsing slow,
// against the same request without them, with the W3C trace-context and baggage propagators. Each
// case runs for about HOSTILE_MS milliseconds (at least once), so a slow case stays bounded.
const { CompositePropagator, W3CBaggagePropagator } = await import('@opentelemetry/core');
const HOSTILE_MS = Number(process.env.HOSTILE_MS ?? 300);
const withBaggage = createServerInstrumentation({
  tracerProvider,
  meterProvider,
  propagator: new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
});

function requestWith(extraHeaders, query) {
  const all = { ...headers, ...extraHeaders };
  const request = { ...info, query, header: (name) => all[name] };
  return () => {
    const handle = withBaggage.start(request);
    handle.setRoute('/users/:id');
    handle.end({ statusCode: 200 });
  };
}

function microsecondsPerCall(fn) {
  fn();
  let calls = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(HOSTILE_MS) * 1_000_000n;
  let elapsed = 0n;
  do {
    fn();
    calls++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  return Number(elapsed) / calls / 1000;
}

const invalidBaggage = Array.from({ length: 1400 }, (_, i) =>
  i % 2 === 0 ? `a${i}=%E0%A4%A` : `b${i}=%zz`,
).join(',');
const validBaggage = Array.from({ length: 20 }, (_, i) => `key${i}=value${i}`).join(',');
const pairsWithoutValues = (bytes) => 'k&'.repeat(Math.floor(bytes / 2));
const cases = [
  ['no baggage, no query', requestWith({}, undefined)],
  ['valid baggage (20 members)', requestWith({ baggage: validBaggage }, undefined)],
  [
    `invalid baggage (${(invalidBaggage.length / 1024).toFixed(0)} KB, 1,400 members)`,
    requestWith({ baggage: invalidBaggage }, undefined),
  ],
  ['query of 64 KiB without values', requestWith({}, pairsWithoutValues(64 * 1024))],
  ['query of 1 MiB without values', requestWith({}, pairsWithoutValues(1024 * 1024))],
];
const baseline = microsecondsPerCall(cases[0][1]);
console.log('hostile inputs (µs per request, × the request without them)');
for (const [label, fn] of cases) {
  const us = label === cases[0][0] ? baseline : microsecondsPerCall(fn);
  console.log(
    `  ${label.padEnd(44)} ${us.toFixed(1).padStart(10)} µs  ${(us / baseline).toFixed(1).padStart(8)}×`,
  );
}

// Propagators: one request continued from a caller (traceparent, a three-member tracestate and
// five baggage members) and one outgoing call injected from the request's context, with the SDK's
// W3C propagators and with core's strict ones. Rounds alternate between the two; medians.
const { StrictW3CBaggagePropagator, StrictW3CTraceContextPropagator } = await import(
  '../dist/index.js'
);
const propagatorHeaders = {
  ...headers,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,vendor@tenant=opaque-value',
  baggage: 'userId=alice,serverNode=DF%2028,isProduction=false,tier=gold;ttl=60,region=eu-west-1',
};
const propagatorRequest = { ...info, header: (name) => propagatorHeaders[name] };
function continuedAndForwarded(propagator) {
  const withPropagator = createServerInstrumentation({ tracerProvider, meterProvider, propagator });
  return () => {
    const handle = withPropagator.start(propagatorRequest);
    handle.setRoute('/users/:id');
    const outgoing = {};
    propagator.inject(handle.context, outgoing, {
      set: (carrier, key, value) => {
        carrier[key] = value;
      },
    });
    handle.end({ statusCode: 200 });
    return outgoing;
  };
}
const sdkPropagators = continuedAndForwarded(
  new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
);
const strictPropagators = continuedAndForwarded(
  new CompositePropagator({
    propagators: [new StrictW3CTraceContextPropagator(), new StrictW3CBaggagePropagator()],
  }),
);
measure(sdkPropagators);
measure(strictPropagators);
const sdkNs = [];
const strictNs = [];
for (let round = 0; round < ROUNDS; round++) {
  sdkNs.push(measure(sdkPropagators));
  strictNs.push(measure(strictPropagators));
}
console.log('propagators (ns per request continued from a caller and forwarded once, median)');
console.log(`  @opentelemetry/core W3C propagators      ${fmt(median(sdkNs))} ns`);
console.log(
  `  @otel-http/core strict W3C propagators   ${fmt(median(strictNs))} ns  ${(median(strictNs) / median(sdkNs)).toFixed(2)}× the SDK's`,
);
