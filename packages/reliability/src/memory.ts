import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MB = 1024 * 1024;

let collect: (() => void) | undefined;

/**
 * A full garbage collection. Uses `global.gc` when node runs with `--expose-gc` (the stress
 * script does); otherwise exposes it at run time, which V8 allows for a fresh context.
 */
export function fullGc(): void {
  if (collect === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') collect = exposed;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
  }
  // Twice: the first pass may only queue finalizers that free more on the second.
  collect();
  collect();
}

/** Heap in use after a full GC, in MiB. */
export async function heapAfterGc(): Promise<number> {
  // Let pending callbacks (socket closes, timers) run first so that what they free is freed.
  await new Promise((resolve) => setImmediate(resolve));
  fullGc();
  return process.memoryUsage().heapUsed / MB;
}

export interface MemoryFigures {
  /** RSS and heap before the load, after a full GC, in MiB. */
  rssBefore: number;
  heapBefore: number;
  /** Highest values sampled during the load, in MiB. */
  rssPeak: number;
  heapPeak: number;
  /** After the load, after a full GC, in MiB. */
  rssAfter: number;
  heapAfter: number;
  /** RSS samples `[elapsed ms, MiB]`, to show whether it levels off. */
  samples: Array<[number, number]>;
}

/** Samples RSS and heap every `intervalMs` between `start()` and `stop()`. */
export class MemorySampler {
  private figures: MemoryFigures | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started = 0;

  async start(intervalMs = 100): Promise<void> {
    fullGc();
    const { rss, heapUsed } = process.memoryUsage();
    this.started = Date.now();
    this.figures = {
      rssBefore: rss / MB,
      heapBefore: heapUsed / MB,
      rssPeak: rss / MB,
      heapPeak: heapUsed / MB,
      rssAfter: 0,
      heapAfter: 0,
      samples: [[0, rss / MB]],
    };
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const figures = this.figures;
    if (!figures) return;
    const { rss, heapUsed } = process.memoryUsage();
    figures.rssPeak = Math.max(figures.rssPeak, rss / MB);
    figures.heapPeak = Math.max(figures.heapPeak, heapUsed / MB);
    // Bounded: keep every sample for short runs, then thin them out.
    if (figures.samples.length < 2_000) figures.samples.push([Date.now() - this.started, rss / MB]);
  }

  async stop(): Promise<MemoryFigures> {
    clearInterval(this.timer);
    this.sample();
    const figures = this.figures as MemoryFigures;
    figures.heapAfter = await heapAfterGc();
    figures.rssAfter = process.memoryUsage().rss / MB;
    return figures;
  }
}

/** Active handles and requests by type (`TCPWrap`, `Timeout`, …), as Node reports them. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

export const totalOf = (counts: Record<string, number>) =>
  Object.values(counts).reduce((a, b) => a + b, 0);
