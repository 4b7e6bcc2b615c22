import { Agent, request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, expect, it } from 'vitest';
import { startTelemetry } from '../src/index.js';
import { captureDiag, resetGlobals } from './support/globals.js';
import { closedPort, startInstrumentedServer } from './support/loopback.js';

afterAll(() => {
  resetGlobals();
});

const WARM_UP = 500;
const REQUESTS = 4000;
const CONCURRENCY = 16;
const MAX_QUEUE = 256;
const BATCH = 64;

/** One GET over a keep-alive agent; resolves with the status code or the error. */
function get(agent: Agent, url: string): Promise<number | Error> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', resolve);
    });
    req.on('error', resolve);
    req.end();
  });
}

const heapMiB = () => process.memoryUsage().heapUsed / 2 ** 20;
// The heap is measured after a full collection, so that what is measured is what telemetry
// retains, not garbage waiting to be collected. The flag can be set at run time; a fresh context
// then exposes `gc` (the test runner's workers are not started with --expose-gc).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;
const collectGarbage = () => gc?.();

it('with the collector unreachable, no request fails, memory stays bounded, drops are counted', async () => {
  const port = await closedPort();
  const diagnostics = captureDiag();
  const telemetry = startTelemetry({
    serviceName: 'unreachable-collector-test',
    traces: 'otlp',
    metrics: 'otlp',
    otlp: { endpoint: `http://127.0.0.1:${port}` },
    exportQueue: { maxQueueSize: MAX_QUEUE, maxExportBatchSize: BATCH, scheduledDelayMillis: 50 },
    metricExportIntervalMillis: 250,
    diagLogger: diagnostics.logger,
    logLevel: 'warn',
  });
  const service = await startInstrumentedServer((req, res, handle) => {
    handle?.setRoute('/work/:n');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ n: req.url }));
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let failures = 0;
  let maxQueued = 0;
  let heapPeak = 0;
  /** `count` requests, CONCURRENCY at a time; counts failures and watches the queue. */
  const run = async (count: number) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const n = next++;
        const outcome = await get(agent, `${service.url}/work/${n}`);
        if (outcome !== 200) failures++;
        const { queued } = telemetry.exportStats();
        if (queued > maxQueued) maxQueued = queued;
        if (n % 250 === 0) heapPeak = Math.max(heapPeak, heapMiB());
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  let heapBefore = 0;
  let elapsed = 0;
  try {
    // Warm-up: the queue fills, exports start failing, lazily loaded code is loaded. The heap is
    // measured from there, so that the measured growth is what the traffic itself leaves behind.
    await run(WARM_UP);
    collectGarbage();
    heapBefore = heapMiB();
    const started = performance.now();
    await run(REQUESTS);
    elapsed = performance.now() - started;
  } finally {
    agent.destroy();
    await service.close();
  }
  collectGarbage();
  const heapAfter = heapMiB();
  heapPeak = Math.max(heapPeak, heapAfter);
  const stats = telemetry.exportStats();

  // The figures for the record (no assertion on time).
  console.info(
    `[unreachable collector] ${REQUESTS} requests in ${elapsed.toFixed(0)} ms, ${failures} failed; ` +
      `heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MiB (peak ${heapPeak.toFixed(1)}); ` +
      `queue max ${maxQueued}/${MAX_QUEUE}; spans dropped ${stats.dropped}, failed ${stats.failed}, ` +
      `queued ${stats.queued}, exported ${stats.exported}`,
  );

  expect(failures).toBe(0);
  expect(maxQueued).toBeLessThanOrEqual(MAX_QUEUE);
  expect(stats.exported).toBe(0);
  expect(stats.dropped).toBeGreaterThan(0);
  // Every span is accounted for, except those inside the few unanswered exports.
  const accounted = stats.dropped + stats.failed + stats.queued;
  expect(accounted).toBeLessThanOrEqual(WARM_UP + REQUESTS);
  expect(accounted).toBeGreaterThanOrEqual(WARM_UP + REQUESTS - 3 * BATCH);
  // Thousands of spans went through; what stays is the bounded queue, not the traffic. (Keeping
  // all 4000 spans instead retains about 6 MiB: this bound catches an unbounded queue.)
  expect(typeof gc).toBe('function');
  expect(heapAfter - heapBefore).toBeLessThan(3);
  expect(diagnostics.matching('span export queue is full (256 spans)').length).toBeGreaterThan(0);

  // Shutting down with the collector still gone returns within its timeout.
  await telemetry.shutdown({ timeoutMillis: 500 });
});
