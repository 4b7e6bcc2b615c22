// A benchmark server under callgrind: started with the two window markers of ../server/window.mjs,
// so that callgrind writes one dump per measured window, and its figures read back from that dump.

import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { nextMessage, stopChild } from '../processes.mjs';
import { DUMP_MARKER, ZERO_MARKER } from '../server/window.mjs';

const run = promisify(execFile);
const SERVER_ENTRY = fileURLToPath(new URL('../server/main.mjs', import.meta.url));

/** Starting Node and the SDK under callgrind takes a while; a busy machine makes it longer. */
const STARTUP_TIMEOUT_MS = 300_000;

/**
 * V8's flags under callgrind. The JIT stays on: what is counted is the optimised code a server
 * runs in production, not the interpreter's. What makes the counts vary between runs of the same
 * binary is turned off instead: background threads (concurrent compilation, marking and sweeping,
 * whose work would land on different threads and at different moments), the garbage collector's
 * time-based heuristics, the random seeds (Math.random drives the trace ids, hence which requests
 * the 10 % sampler keeps) and the young generation's growth (a fixed size). `--expose-gc` lets each
 * window start with a full collection (../server/window.mjs).
 */
export const V8_FLAGS = [
  '--no-opt',
  '--always-sparkplug',
  '--single-threaded',
  '--predictable-gc-schedule',
  '--no-minor-gc-task',
  '--no-incremental-marking-task',
  '--no-memory-reducer',
  '--no-flush-bytecode',
  '--no-flush-baseline-code',
  '--random-seed=1',
  '--hash-seed=1',
  '--min-semi-space-size=16',
  '--max-semi-space-size=16',
  '--expose-gc',
];

/**
 * Callgrind's own options. It starts without instrumenting anything (a few times slower than
 * Node alone instead of some fifty), so that the warm-up can be long enough for V8 to finish
 * optimising; `callgrind_control -i on` then switches it on. It counts instructions of every
 * thread of the process.
 */
export function valgrindArgs(/** @type {string} */ outFile) {
  return [
    '--tool=callgrind',
    '--instr-atstart=no',
    `--callgrind-out-file=${outFile}`,
    `--zero-before=${ZERO_MARKER}`,
    `--dump-before=${DUMP_MARKER}`,
  ];
}

/**
 * The total of a callgrind dump: its `totals:` line, the sum of every cost the dump lists, which
 * with `--separate-threads=no` (the default) is every thread's instructions since the window's
 * zeroing.
 *
 * Not the `summary:` line in the header. That one adds up, per thread, the instructions counted
 * since the thread's own counter was last reset, and `--zero-before` resets only the thread that
 * enters the marker (the main one). The full collection that opens each window runs part of its
 * string-table clearing as a V8 job, which Node's platform worker threads pick up or leave to the
 * main thread as valgrind's thread scheduling decides: in some runs `summary:` therefore also
 * counted 0.64 or 1.36 million instructions that two workers ran before the window opened
 * (Fastify `bare` read 386,000, 392,600 or 399,800 per request), while `totals:` stayed within
 * 0.1 %.
 *
 * @param {string} text The dump's content.
 */
export function parseDumpTotal(text) {
  const match = /^totals:\s+(\d+)/m.exec(text);
  if (match === null) throw new Error('no totals line in the callgrind dump');
  return Number(match[1]);
}

/**
 * @typedef {object} WindowResult
 * @property {number} instructions Instructions executed inside the window, every thread.
 * @property {number} handled Requests the route handler answered inside it.
 * @property {number} allocatedBytes
 * @property {number} gcCount
 */

/**
 * @typedef {object} CallgrindServer
 * @property {number} port
 * @property {string} node
 * @property {() => Promise<void>} instrument Switches callgrind's instrumentation on.
 * @property {() => Promise<void>} openWindow
 * @property {() => Promise<WindowResult>} closeWindow
 * @property {() => Promise<void>} stop
 */

/**
 * @param {{ node: string, framework: string, mode: string, dir: string, valgrind?: string, callgrindControl?: string }} options
 * @returns {Promise<CallgrindServer>}
 */
export async function startCallgrindServer({
  node,
  framework,
  mode,
  dir,
  valgrind = 'valgrind',
  callgrindControl = 'callgrind_control',
}) {
  const what = `the ${framework} server in ${mode} mode under callgrind`;
  const base = join(dir, `${framework}-${mode.replace('%', 'pc')}`);
  const child = spawn(
    valgrind,
    [
      ...valgrindArgs(`${base}.%p`),
      `--log-file=${base}.log`,
      node,
      ...V8_FLAGS,
      SERVER_ENTRY,
      framework,
      mode,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, OTEL_HTTP_BENCH_NO_IDLE_TIMEOUT: '1', OTEL_HTTP_BENCH_WINDOWED: '1' },
    },
  );
  let windows = 0;
  try {
    /** @type {import('../server/main.mjs').ReadyMessage} */
    const ready = await nextMessage(child, 'ready', what, STARTUP_TIMEOUT_MS);
    return {
      port: ready.port,
      node: ready.node,
      async instrument() {
        await run(callgrindControl, ['--instr=on', String(child.pid)], { timeout: 60_000 });
      },
      async openWindow() {
        const answer = nextMessage(child, 'window-open', what, STARTUP_TIMEOUT_MS);
        child.send({ type: 'window-open' });
        await answer;
      },
      async closeWindow() {
        const answer = nextMessage(child, 'window', what, STARTUP_TIMEOUT_MS);
        child.send({ type: 'window-close' });
        /** @type {import('../server/main.mjs').WindowMessage} */
        const figures = await answer;
        windows++;
        // Callgrind writes the dump before the marker function runs, so it is complete by now.
        const dump = readFileSync(`${base}.${child.pid}.${windows}`, 'utf8');
        return {
          instructions: parseDumpTotal(dump),
          handled: figures.handled,
          allocatedBytes: figures.allocatedBytes,
          gcCount: figures.gcCount,
        };
      },
      stop: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}
