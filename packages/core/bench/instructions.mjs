// Instructions and V8 heap bytes per request of core alone: one `start` + `setRoute` + `end`,
// counted by callgrind, for otel-http through the OpenTelemetry API into the SDK (traced, and
// metrics-only) and for the hand-written floor. Run after a build:
// `pnpm --filter @otel-http/core bench:instructions`. Needs valgrind.
//
// Each case runs in its own Node process under callgrind with the benchmark matrix's V8 flags and
// window markers (../../../benchmarks/src/instructions/callgrind.mjs): warmed up uninstrumented,
// then instrumented, then one counted window of ITERATIONS requests.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  parseDumpTotal,
  V8_FLAGS,
  valgrindArgs,
} from '../../../benchmarks/src/instructions/callgrind.mjs';
import { createWindow } from '../../../benchmarks/src/server/window.mjs';

const WARMUP = Number(process.env.WARMUP ?? 20_000);
const ITERATIONS = Number(process.env.ITERATIONS ?? 2_000);
const RUNS = Number(process.env.RUNS ?? 1);
// `+ producer`: the RED metrics into RedMetricProducer on the reader, as `@otel-http/node` sets
// it up; without it, through the API instruments into the SDK's histograms.
const CASES = [
  'otel-http',
  'otel-http + producer',
  'otel-http metrics only',
  'otel-http metrics only + producer',
  'floor',
];

/** The case a child process runs: sets up the SDK, builds the request function. */
async function requestFunction(/** @type {string} */ name) {
  const { context, propagation, SpanKind } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { AggregationTemporality, MeterProvider, MetricReader } = await import(
    '@opentelemetry/sdk-metrics'
  );
  const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
  const { createServerInstrumentation, DURATION_BUCKETS_SECONDS, RedMetricProducer } = await import(
    '../dist/index.js'
  );

  class Reader extends MetricReader {
    constructor(/** @type {unknown[]} */ metricProducers) {
      super({
        aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
        metricProducers: /** @type {import('@opentelemetry/sdk-metrics').MetricProducer[]} */ (
          metricProducers
        ),
      });
    }
    async onForceFlush() {}
    async onShutdown() {}
  }
  // Ends spans for real, exports nothing.
  const processor = {
    onStart() {},
    onEnd() {},
    async forceFlush() {},
    async shutdown() {},
  };
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [processor] });
  const meterProvider = new MeterProvider({
    readers: [new Reader(name.endsWith('+ producer') ? [new RedMetricProducer()] : [])],
  });

  /** @type {Record<string, string>} */
  const headers = {
    host: '127.0.0.1:3000',
    'user-agent': 'bench/1.0',
    accept: 'application/json',
  };
  const info = {
    method: 'GET',
    scheme: 'http',
    path: '/users/42',
    query: undefined,
    header: (/** @type {string} */ name) => headers[name],
    peerAddress: '127.0.0.1',
    peerPort: 50000,
    protocolVersion: '1.1',
  };

  if (name === 'floor') {
    const tracer = tracerProvider.getTracer('floor');
    const histogram = meterProvider
      .getMeter('floor')
      .createHistogram('http.server.request.duration', {
        unit: 's',
        advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
      });
    return () => {
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
    };
  }
  const instrumentation = createServerInstrumentation({
    tracerProvider,
    meterProvider,
    ...(name.startsWith('otel-http metrics only') ? { tracing: false } : {}),
  });
  return () => {
    const handle = instrumentation.start(info);
    handle.setRoute('/users/:id');
    handle.end({ statusCode: 200 });
  };
}

/** The child: warm up, wait for instrumentation, count one window, report over IPC. */
async function child(/** @type {string} */ name) {
  const send = /** @type {(message: unknown) => void} */ (process.send).bind(process);
  const request = await requestFunction(name);
  for (let i = 0; i < WARMUP; i++) request();
  await new Promise((resolve) => {
    process.once('message', resolve);
    send({ type: 'warm' });
  });
  // Valgrind translates the code once it instruments it: not part of the window.
  for (let i = 0; i < 100; i++) request();
  const window = createWindow();
  window.open();
  for (let i = 0; i < ITERATIONS; i++) request();
  const figures = window.close();
  send({ type: 'window', ...figures });
  process.disconnect();
}

/** The parent: one callgrind child per case and run, then the table. */
async function main() {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(os.tmpdir(), 'otel-http-core-callgrind-'));
  const self = fileURLToPath(import.meta.url);
  /** @type {Map<string, { instructions: number[], bytes: number[] }>} */
  const results = new Map(CASES.map((name) => [name, { instructions: [], bytes: [] }]));
  try {
    for (let r = 0; r < RUNS; r++) {
      for (const name of CASES) {
        const base = join(dir, `${name.replaceAll(' ', '-')}-${r}`);
        const proc = spawn(
          'valgrind',
          [
            ...valgrindArgs(`${base}.%p`),
            `--log-file=${base}.log`,
            process.execPath,
            ...V8_FLAGS,
            self,
            name,
          ],
          { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
        );
        /** @type {{ allocatedBytes: number }} */
        const figures = await new Promise((resolve, reject) => {
          proc.once('exit', (code) => reject(new Error(`${name}: exited with ${code}`)));
          proc.on('message', async (/** @type {{ type: string, allocatedBytes: number }} */ m) => {
            if (m.type === 'warm') {
              await run('callgrind_control', ['--instr=on', String(proc.pid)]);
              proc.send({ type: 'go' });
            } else if (m.type === 'window') resolve(m);
          });
        });
        await new Promise((resolve) => proc.once('exit', resolve));
        const total = parseDumpTotal(readFileSync(`${base}.${proc.pid}.1`, 'utf8'));
        const entry = /** @type {{ instructions: number[], bytes: number[] }} */ (
          results.get(name)
        );
        entry.instructions.push(total / ITERATIONS);
        entry.bytes.push(figures.allocatedBytes / ITERATIONS);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (/** @type {number[]} */ v) =>
    [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
  const floor = results.get('floor');
  const floorI = median(floor?.instructions ?? []);
  const floorB = median(floor?.bytes ?? []);
  console.log(
    `node ${process.version}, callgrind, ${RUNS} run(s) × ${ITERATIONS} requests after ${WARMUP} uncounted, V8 ${V8_FLAGS.join(' ')}`,
  );
  console.log(`${'case'.padEnd(36)}instructions/request  × floor   bytes/request  × floor  spread`);
  for (const [name, { instructions, bytes }] of results) {
    const i = median(instructions);
    const b = median(bytes);
    const spread =
      instructions.length < 2 ? 0 : (Math.max(...instructions) - Math.min(...instructions)) / i;
    console.log(
      `${name.padEnd(36)}${Math.round(i).toLocaleString('en-US').padStart(20)}  ${(i / floorI).toFixed(2).padStart(6)}×` +
        `${Math.round(b).toLocaleString('en-US').padStart(16)}  ${(b / floorB).toFixed(2).padStart(6)}×  ${(spread * 100).toFixed(2)} %`,
    );
  }
}

const caseName = process.argv[2];
if (caseName !== undefined && process.send !== undefined) await child(caseName);
else await main();
