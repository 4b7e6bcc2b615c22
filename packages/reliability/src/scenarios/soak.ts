/**
 * Soak: sustained mixed load (JSON route, streams, slow requests, uploads, 404s, and a share of
 * client aborts) against several targets at once for a bounded time, each with a batching span
 * processor and a metric reader collected every second, as in production. The heap after a full
 * GC must stay within a stated bound of its post-warm-up value, and the active handles must
 * return to their baseline once the load stops.
 */
import { Agent } from 'node:http';
import type { ExportResult } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { openAndWrite, rawRequest, send } from '../client.js';
import { activeResources, heapAfterGc, totalOf } from '../memory.js';
import { pick, seededRandom } from '../random.js';
import type { RunningServer, Target } from '../targets.js';
import { activeRequests, createTelemetry, type Telemetry } from '../telemetry.js';

/** Accepts every batch and keeps nothing: the span pipeline runs, memory holds no spans. */
class DiscardingExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

export interface SoakOptions {
  durationMs: number;
  /** Share of the duration spent warming up before the reference heap is taken. */
  warmupShare?: number;
  /** In-flight requests per target. */
  concurrency?: number;
  /** How many heap-after-GC samples to take after the warm-up. */
  heapSamples?: number;
  seed?: number;
}

export interface SoakTargetFigures {
  target: string;
  requests: number;
  aborted: number;
  failed: number;
  spansExported: number;
  activeRequestsAtEnd: number;
}

export interface SoakResult {
  targets: SoakTargetFigures[];
  durationMs: number;
  /** Heap after a full GC at the end of the warm-up, in MiB. */
  heapAfterWarmup: number;
  /** Heap after a full GC at each later sample, `[elapsed ms, MiB]`. */
  heapSamples: Array<[number, number]>;
  /** Heap after a full GC once the load stopped, in MiB. */
  heapAtEnd: number;
  /** `heapAtEnd - heapAfterWarmup`, MiB. */
  heapGrowth: number;
  /** Least-squares slope of the post-warm-up samples, MiB per minute. */
  heapSlopePerMinute: number;
  rssAtEnd: number;
  handlesBefore: Record<string, number>;
  handlesDuring: Record<string, number>;
  handlesAfter: Record<string, number>;
}

type Kind = 'user' | 'stream' | 'slow' | 'upload' | 'missing' | 'abort';
const MIX: readonly Kind[] = [
  ...Array<Kind>(70).fill('user'),
  ...Array<Kind>(6).fill('stream'),
  ...Array<Kind>(3).fill('slow'),
  ...Array<Kind>(8).fill('upload'),
  ...Array<Kind>(11).fill('missing'),
  ...Array<Kind>(2).fill('abort'),
];

async function oneRequest(
  server: RunningServer,
  agent: Agent,
  kind: Kind,
  i: number,
): Promise<void> {
  switch (kind) {
    case 'user':
      await expectStatus(send(`${server.url}/users/${i}?page=${i % 7}`, { agent }), 200);
      return;
    case 'stream':
      await expectStatus(send(`${server.url}/stream`, { agent }), 200);
      return;
    case 'slow':
      await expectStatus(send(`${server.url}/slow`, { agent }), 200);
      return;
    case 'upload':
      await expectStatus(
        send(`${server.url}/upload`, {
          agent,
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: Buffer.alloc(2_048, 1),
        }),
        200,
      );
      return;
    case 'missing':
      await expectStatus(send(`${server.url}/missing/${i}`, { agent }), 404);
      return;
    case 'abort': {
      const socket = await openAndWrite(server.port, rawRequest('GET', '/slow', []));
      await new Promise((resolve) => setTimeout(resolve, 5));
      socket.destroy();
      return;
    }
  }
}

async function expectStatus(reply: Promise<{ status: number }>, status: number): Promise<void> {
  const { status: got } = await reply;
  if (got !== status) throw new Error(`status ${got}, expected ${status}`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the soak against `targets` at once. */
export async function runSoak(
  targets: readonly Target[],
  options: SoakOptions,
): Promise<SoakResult> {
  const { durationMs, warmupShare = 0.2, concurrency = 8, heapSamples = 5, seed = 5 } = options;
  const random = seededRandom(seed);
  const setups: Array<{
    target: Target;
    telemetry: Telemetry;
    exporter: DiscardingExporter;
    server: RunningServer;
    figures: SoakTargetFigures;
  }> = [];
  for (const target of targets) {
    const exporter = new DiscardingExporter();
    const telemetry = createTelemetry({
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 200 })],
    });
    const server = await target.start(telemetry.options);
    setups.push({
      target,
      telemetry,
      exporter,
      server,
      figures: {
        target: target.name,
        requests: 0,
        aborted: 0,
        failed: 0,
        spansExported: 0,
        activeRequestsAtEnd: 0,
      },
    });
  }
  const scrape = setInterval(() => {
    for (const setup of setups) void setup.telemetry.collect();
  }, 1_000);
  await sleep(100);
  await heapAfterGc();
  const handlesBefore = activeResources();

  const started = Date.now();
  const stopAt = started + durationMs;
  const agents = setups.map(() => new Agent({ keepAlive: true, maxSockets: concurrency }));
  let handlesDuring: Record<string, number> = {};
  const load = setups.flatMap((setup, t) =>
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < stopAt) {
        const kind = pick(random, MIX);
        const i = setup.figures.requests++;
        if (kind === 'abort') setup.figures.aborted++;
        try {
          await oneRequest(setup.server, agents[t] as Agent, kind, i);
        } catch {
          setup.figures.failed++;
        }
      }
    }),
  );

  // Reference heap after the warm-up, then evenly spaced samples, all after a full GC.
  const warmupEnd = started + durationMs * warmupShare;
  await sleep(Math.max(0, warmupEnd - Date.now()));
  const heapAfterWarmup = await heapAfterGc();
  const samples: Array<[number, number]> = [];
  const step = (stopAt - Date.now()) / heapSamples;
  for (let s = 1; s <= heapSamples; s++) {
    await sleep(Math.max(0, warmupEnd + step * s - Date.now() - 50));
    if (s === Math.ceil(heapSamples / 2)) handlesDuring = activeResources();
    samples.push([Date.now() - started, await heapAfterGc()]);
  }
  await Promise.all(load);
  const elapsed = Date.now() - started;
  for (const agent of agents) agent.destroy();
  clearInterval(scrape);
  // Let aborted and closing connections finish, and the span processors flush.
  await sleep(600);
  for (const setup of setups) {
    await setup.telemetry.tracerProvider.forceFlush();
    setup.figures.spansExported = setup.exporter.exported;
    setup.figures.activeRequestsAtEnd = await activeRequests(setup.telemetry);
  }
  const heapAtEnd = await heapAfterGc();
  const handlesAfter = activeResources();
  const rssAtEnd = process.memoryUsage().rss / (1024 * 1024);
  for (const setup of setups) {
    await setup.server.close();
    await setup.telemetry.shutdown();
  }
  return {
    targets: setups.map((s) => s.figures),
    durationMs: elapsed,
    heapAfterWarmup,
    heapSamples: samples,
    heapAtEnd,
    heapGrowth: heapAtEnd - heapAfterWarmup,
    heapSlopePerMinute: slope(samples) * 60_000,
    rssAtEnd,
    handlesBefore,
    handlesDuring,
    handlesAfter,
  };
}

/** Least-squares slope of `[x, y]` points (y per x). */
function slope(points: ReadonlyArray<[number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

export { totalOf };
