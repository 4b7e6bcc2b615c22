// One cell of the instruction matrix: a server started under callgrind, warmed up uninstrumented,
// then one measured window of sequential keep-alive requests.

import { REQUEST_PATH } from '../matrix.mjs';
import { startCallgrindServer } from './callgrind.mjs';
import { keepAliveAgent, sendRequests } from './client.mjs';

/**
 * @typedef {object} InstructionProtocol
 * @property {number} warmup Requests before callgrind instruments anything (not counted).
 * @property {number} settle Requests after instrumentation is on, before the window (not counted):
 *   valgrind translates the code they run, so the window runs on translated code only.
 * @property {number} requests Requests in the measured window.
 * @property {number} pauseMs Pause before each request once instrumented (see client.mjs): it
 *   took the spread of three runs of Fastify `bare` from 1.8 % to 0.1 %.
 */

/** @type {InstructionProtocol} */
export const DEFAULT_PROTOCOL = { warmup: 500, settle: 20, requests: 100, pauseMs: 20 };

/**
 * @typedef {object} InstructionRun
 * @property {string} framework
 * @property {string} mode
 * @property {number} run Zero-based repetition.
 * @property {number} instructions Inside the window, every thread of the server.
 * @property {number} requests Requests the route handler answered inside the window.
 * @property {number} allocatedBytes V8 heap bytes allocated inside the window.
 * @property {number} gcCount
 * @property {string} node
 */

/**
 * @param {{ framework: string, mode: string, run: number, node: string, dir: string, protocol: InstructionProtocol }} cell
 * @returns {Promise<InstructionRun>}
 */
export async function measureInstructions({ framework, mode, run, node, dir, protocol }) {
  const server = await startCallgrindServer({ node, framework, mode, dir });
  const agent = keepAliveAgent();
  try {
    const send = (/** @type {number} */ count, pauseMs = protocol.pauseMs) =>
      sendRequests({ port: server.port, path: REQUEST_PATH, count, agent, pauseMs });
    await send(protocol.warmup, 0);
    await server.instrument();
    await send(protocol.settle);
    await server.openWindow();
    await send(protocol.requests);
    const window = await server.closeWindow();
    if (window.handled !== protocol.requests) {
      throw new Error(
        `${framework} ${mode}: the handler answered ${window.handled} of the window's ${protocol.requests} requests`,
      );
    }
    return {
      framework,
      mode,
      run,
      instructions: window.instructions,
      requests: window.handled,
      allocatedBytes: window.allocatedBytes,
      gcCount: window.gcCount,
      node: server.node,
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

/**
 * Runs `tasks` with at most `jobs` of them at a time, in order of start; resolves with their
 * results in the same order.
 *
 * @template T
 * @param {readonly (() => Promise<T>)[]} tasks
 * @param {number} jobs
 * @returns {Promise<T[]>}
 */
export async function inParallel(tasks, jobs) {
  /** @type {T[]} */
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await /** @type {() => Promise<T>} */ (tasks[index])();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, tasks.length)) }, worker));
  return results;
}
