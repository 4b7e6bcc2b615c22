// The result document of one benchmark run: written as JSON, rendered as Markdown and SVG.

import { isGo } from '../matrix.mjs';
import { summarise } from '../stats.mjs';
import { evaluateTargets } from '../targets.mjs';

/**
 * @typedef {object} Meta
 * @property {string} date ISO date and time the run started.
 * @property {boolean} quick Whether this was the short CI run.
 * @property {string} serverNode Node version of the servers.
 * @property {string} harnessNode Node version of the harness and the load generator.
 * @property {string} platform
 * @property {number} cpus
 * @property {string} cpuModel
 * @property {{ server: number, load: number } | undefined} pinning CPUs of servers and load.
 * @property {{ rounds: number, warmupSeconds: number, durationSeconds: number, connections: number }} protocol
 * @property {{ start: number[], end: number[] }} loadAverage 1, 5 and 15-minute load averages.
 * @property {import('../stats.mjs').Spread | undefined} foreignCpu CPU other processes used while measuring, in cores.
 * @property {Record<string, string>} packages Versions of the measured packages.
 * @property {string | undefined} commit The repository's commit when the run started, `+dirty` when
 *   the packages or the harness had uncommitted changes.
 * @property {string} [builtAt] When the measured otel-http packages were built.
 * @property {{ version: string, modules: Record<string, string> }} [go] The Go rows' toolchain
 *   and module versions, when they ran.
 * @property {string[]} warnings Why the figures may not be trustworthy.
 */

/**
 * @typedef {object} BenchmarkResult
 * @property {Meta} meta
 * @property {import('../stats.mjs').CellSummary[]} summary
 * @property {import('../targets.mjs').TargetResult[]} targets
 * @property {import('../stats.mjs').Run[]} runs Every run, rejected ones included.
 */

/**
 * @param {Meta} meta
 * @param {import('../stats.mjs').Run[]} runs
 * @param {readonly import('../matrix.mjs').Framework[]} frameworks
 * @param {readonly import('../matrix.mjs').Mode[] | ((framework: import('../matrix.mjs').Framework) => readonly import('../matrix.mjs').Mode[])} modes
 *   The same for every framework, or per framework.
 * @returns {BenchmarkResult}
 */
export function buildResult(meta, runs, frameworks, modes) {
  return {
    meta,
    summary: summarise(runs, frameworks, modes),
    // The targets are otel-http's: the Go rows are a reference beside them, not judged.
    targets: evaluateTargets(
      runs,
      frameworks.filter((framework) => !isGo(framework)),
    ),
    runs,
  };
}
