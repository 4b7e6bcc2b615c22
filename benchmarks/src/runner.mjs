// Runs the matrix: for each round, each cell in the round's rotated order gets a fresh server
// process, a discarded warm-up, one measured load run, and the server's counts and CPU time
// around it. A rejected run is measured once more; both attempts stay in the results.

import { GO_MODES, isGo, REQUEST_PATH, roundOrder } from './matrix.mjs';
import { mainThreadCpuMicros, processCpuMicros, systemBusyMicros } from './proc.mjs';
import { startGoServer, startServer } from './processes.mjs';
import { rejectionReasons } from './validate.mjs';

/**
 * @typedef {import('./matrix.mjs').Framework} Framework
 * @typedef {import('./matrix.mjs').Mode} Mode
 * @typedef {import('./stats.mjs').Run} Run
 */

/**
 * @typedef {object} MatrixConfig
 * @property {string} node The Node binary the servers run on.
 * @property {readonly Framework[]} frameworks
 * @property {readonly Mode[]} modes
 * @property {number} rounds
 * @property {number} warmupSeconds
 * @property {number} durationSeconds
 * @property {number} connections
 * @property {number | undefined} serverCpu CPU the servers are pinned to, if any.
 * @property {string} [goServer] The built Go reference server; the Go frameworks need it.
 */

/**
 * @typedef {object} Cell
 * @property {Framework} framework
 * @property {Mode} mode
 * @property {number} round
 * @property {number} position
 * @property {number} attempt
 */

/**
 * Measures one cell with a fresh server. Returns the run and the server's Node version (for a Go
 * row, its Go version).
 *
 * @param {Cell} cell
 * @param {MatrixConfig} config
 * @param {import('./processes.mjs').LoadGenerator} load
 * @returns {Promise<{ run: Run, serverNode: string }>}
 */
export async function measureCell(cell, config, load) {
  const server = isGo(cell.framework)
    ? await startGoServer({
        binary: goServerOf(config),
        framework: cell.framework,
        mode: cell.mode,
        cpu: config.serverCpu,
      })
    : await startServer({
        node: config.node,
        framework: cell.framework,
        mode: cell.mode,
        cpu: config.serverCpu,
      });
  try {
    const job = {
      url: `http://127.0.0.1:${server.port}${REQUEST_PATH}`,
      connections: config.connections,
    };
    // Warm-up: JIT (Node), connection set-up, first allocations. Its figures are thrown away.
    if (config.warmupSeconds > 0) await load.run({ ...job, durationSeconds: config.warmupSeconds });

    // The allocation window flushes the spans before it opens and after it closes, outside the
    // CPU and counts measurement around the load.
    await server.openMemoryWindow?.();
    const before = await server.counts();
    const serverCpuBefore = processCpuMicros(server.pid);
    const mainThreadBefore = mainThreadCpuMicros(server.pid);
    const machineBefore = systemBusyMicros();
    const ownBefore = process.cpuUsage();
    const started = performance.now();

    const result = await load.run({ ...job, durationSeconds: config.durationSeconds });

    const wallMicros = (performance.now() - started) * 1000;
    const serverCpuAfter = processCpuMicros(server.pid);
    const mainThreadAfter = mainThreadCpuMicros(server.pid);
    const machineAfter = systemBusyMicros();
    const own = process.cpuUsage(ownBefore);
    const after = await server.counts();
    const memory = await server.closeMemoryWindow?.();

    const handled = after.handled - before.handled;
    const serverCpuMicros =
      serverCpuBefore === undefined || serverCpuAfter === undefined
        ? Number.NaN
        : serverCpuAfter - serverCpuBefore;
    const mainThreadMicros =
      mainThreadBefore === undefined || mainThreadAfter === undefined
        ? Number.NaN
        : mainThreadAfter - mainThreadBefore;
    const machineMicros =
      machineBefore === undefined || machineAfter === undefined
        ? Number.NaN
        : machineAfter - machineBefore;
    const foreignMicros =
      machineMicros - serverCpuMicros - result.cpuMicros - own.user - own.system;

    /** @type {Omit<Run, 'rejected'>} */
    const measured = {
      ...cell,
      requests: result.requests,
      durationSeconds: result.durationSeconds,
      requestsPerSecond: result.requests / result.durationSeconds,
      latencyP50Ms: result.latencyP50Ms,
      latencyP99Ms: result.latencyP99Ms,
      errors: result.errors,
      non2xx: result.non2xx,
      handled,
      serverCpuMicros,
      cpuPerRequestUs: serverCpuMicros / handled,
      // A Go server runs its goroutines on every thread: it has no main thread to set apart.
      helperCpuPerRequestUs: isGo(cell.framework)
        ? Number.NaN
        : (serverCpuMicros - mainThreadMicros) / handled,
      serverCpuShare: serverCpuMicros / wallMicros,
      foreignCpuShare: Math.max(0, foreignMicros / wallMicros),
      spans: {
        server: after.spans.server - before.spans.server,
        other: after.spans.other - before.spans.other,
      },
      durationPoints: after.durationPoints - before.durationPoints,
      allocatedBytesPerRequest: memory?.allocatedBytesPerRequest ?? Number.NaN,
      rssBytes: memory?.rssBytes ?? Number.NaN,
    };
    return {
      run: { ...measured, rejected: rejectionReasons(measured, config.connections) },
      serverNode: server.node,
    };
  } finally {
    await server.stop();
  }
}

/**
 * @param {MatrixConfig} config
 * @returns {string}
 */
function goServerOf(config) {
  if (config.goServer === undefined) throw new Error('the Go reference server was not built');
  return config.goServer;
}

/**
 * The modes a framework is measured in: the matrix's for Node, the Go rows' own for Go.
 *
 * @param {MatrixConfig} config
 * @returns {(framework: Framework) => readonly Mode[]}
 */
export const modesOf = (config) => (framework) => (isGo(framework) ? GO_MODES : config.modes);

/**
 * The record of a cell that could not be measured at all (its server did not start, a process
 * died): rejected, with the error as the reason.
 *
 * @param {Cell} cell
 * @param {unknown} error
 * @returns {Run}
 */
export function failedRun(cell, error) {
  return {
    ...cell,
    rejected: [`not measured: ${error instanceof Error ? error.message : String(error)}`],
    requests: 0,
    durationSeconds: 0,
    requestsPerSecond: Number.NaN,
    latencyP50Ms: Number.NaN,
    latencyP99Ms: Number.NaN,
    errors: 0,
    non2xx: 0,
    handled: 0,
    serverCpuMicros: Number.NaN,
    cpuPerRequestUs: Number.NaN,
    helperCpuPerRequestUs: Number.NaN,
    serverCpuShare: Number.NaN,
    foreignCpuShare: Number.NaN,
    spans: { server: 0, other: 0 },
    durationPoints: 0,
    allocatedBytesPerRequest: Number.NaN,
    rssBytes: Number.NaN,
  };
}

/**
 * Runs every round of the matrix.
 *
 * @param {MatrixConfig} config
 * @param {import('./processes.mjs').LoadGenerator} load
 * @param {(run: Run, done: number, total: number) => void} [onRun]
 * @returns {Promise<{ runs: Run[], serverNode: string | undefined, goVersion: string | undefined }>}
 */
export async function runMatrix(config, load, onRun) {
  /** @type {Run[]} */
  const runs = [];
  let serverNode;
  let goVersion;
  const cellsPerRound = roundOrder(0, config.frameworks, modesOf(config)).length;
  const total = config.rounds * cellsPerRound;
  let done = 0;
  for (let round = 0; round < config.rounds; round++) {
    const order = roundOrder(round, config.frameworks, modesOf(config));
    for (const [position, { framework, mode }] of order.entries()) {
      done++;
      for (let attempt = 1; attempt <= 2; attempt++) {
        const cell = { framework, mode, round, position, attempt };
        /** @type {Run} */
        let run;
        try {
          const measured = await measureCell(cell, config, load);
          if (isGo(framework)) goVersion = measured.serverNode;
          else serverNode = measured.serverNode;
          run = measured.run;
        } catch (error) {
          run = failedRun(cell, error);
        }
        runs.push(run);
        onRun?.(run, done, total);
        if (run.rejected.length === 0) break;
      }
    }
  }
  return { runs, serverNode, goVersion };
}
