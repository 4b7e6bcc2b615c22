// The measured window of an instruction count: the harness opens it after the warm-up and closes
// it after the measured requests. Callgrind is started with `--zero-before` and `--dump-before`
// on the two libuv functions below, which nothing else in the servers calls: entering the first
// zeroes every thread's counters, entering the second writes them out. The same window counts the
// bytes V8 allocated, from its heap statistics around every garbage collection in it.

import os from 'node:os';
import v8 from 'node:v8';

/** Callgrind's `--zero-before` target: `os.loadavg()` is its only caller. */
export const ZERO_MARKER = 'uv_loadavg';
/** Callgrind's `--dump-before` target: `os.getPriority()` is its only caller. */
export const DUMP_MARKER = 'uv_os_getpriority';

/**
 * @typedef {object} WindowFigures
 * @property {number} allocatedBytes Bytes V8 allocated on its heap inside the window.
 * @property {number} gcCount Garbage collections inside the window.
 */

/**
 * Heap growth over the window plus what every collection in it freed: the bytes allocated,
 * whatever the collector did in between.
 *
 * @param {number} usedBefore `used_heap_size` when the window opened.
 * @param {number} usedAfter `used_heap_size` when it closed.
 * @param {readonly { before: number, after: number }[]} collections Used heap size around each GC.
 */
export function allocatedBytes(usedBefore, usedAfter, collections) {
  let freed = 0;
  for (const gc of collections) freed += gc.before - gc.after;
  return usedAfter - usedBefore + freed;
}

/** Opens and closes one window at a time; both calls are cheap and allocate next to nothing. */
export function createWindow() {
  /** @type {import('node:v8').GCProfiler | undefined} */
  let profiler;
  let usedBefore = 0;
  return {
    open() {
      // Every window starts from the same heap: a full collection (with --expose-gc) empties the
      // young generation and finishes any marking in progress, so the window pays for the
      // scavenges its own allocations cause and for no collection the requests before it began.
      /** @type {{ gc?: () => void }} */ (globalThis).gc?.();
      profiler = new v8.GCProfiler();
      profiler.start();
      usedBefore = v8.getHeapStatistics().used_heap_size;
      os.loadavg();
    },
    /** @returns {WindowFigures} */
    close() {
      os.getPriority();
      const usedAfter = v8.getHeapStatistics().used_heap_size;
      const result = profiler?.stop();
      profiler = undefined;
      const collections = (result?.statistics ?? []).map((gc) => ({
        before: gc.beforeGC.heapStatistics.usedHeapSize,
        after: gc.afterGC.heapStatistics.usedHeapSize,
      }));
      return {
        allocatedBytes: allocatedBytes(usedBefore, usedAfter, collections),
        gcCount: collections.length,
      };
    },
  };
}
