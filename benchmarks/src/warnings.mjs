// When figures should not be read as final: a busy machine, a load generator that could not keep
// the server busy, processes that could not be pinned. The reports print these at the top.

import { isGo } from './matrix.mjs';

/**
 * Above this 1-minute load average at the start, other work was competing for the CPUs; read only
 * where the CPU other processes used while measuring is unknown (no /proc).
 */
export const BUSY_LOAD_AVERAGE = 1.0;
/** Above this share of a core used by other processes while measuring, figures are perturbed. */
export const BUSY_FOREIGN_CPU = 0.1;
/** Below this share of its core, the server was waiting for the load generator. */
export const SATURATED_SERVER_CPU = 0.9;

/**
 * @param {import('./report/result.mjs').BenchmarkResult} result
 * @returns {string[]}
 */
export function collectWarnings(result) {
  const { meta, summary } = result;
  const warnings = [];
  // The 1-minute load average decays over minutes, so it still reads high for a run started right
  // after another one on a machine gone quiet. Where the CPU other processes used while measuring
  // is known, it answers the question directly and the load average only describes the start.
  const startLoad = meta.loadAverage.start[0] ?? 0;
  if (meta.foreignCpu === undefined && startLoad > BUSY_LOAD_AVERAGE) {
    warnings.push(
      `the machine was busy when the run started (1-minute load average ${startLoad.toFixed(2)} on ` +
        `${meta.cpus} CPUs): the figures are indicative, not final.`,
    );
  }
  if (meta.foreignCpu !== undefined && meta.foreignCpu.median > BUSY_FOREIGN_CPU) {
    warnings.push(
      `other processes used ${meta.foreignCpu.median.toFixed(2)} cores (median; up to ` +
        `${meta.foreignCpu.max.toFixed(2)}) while measuring: the figures are perturbed.`,
    );
  }
  if (meta.pinning === undefined) {
    warnings.push('the server and the load generator were not pinned to separate CPUs.');
  }
  // The Go rows are a reference beside the targets: the Go table says when its bare servers were
  // not kept busy, and that does not make otel-http's figures noisy.
  const unsaturated = summary.filter(
    (cell) =>
      !isGo(cell.framework) &&
      cell.mode === 'bare' &&
      cell.serverCpuShare !== undefined &&
      cell.serverCpuShare.median < SATURATED_SERVER_CPU,
  );
  if (unsaturated.length > 0) {
    warnings.push(
      `the load generator did not keep the bare server busy for ${unsaturated
        .map(
          (cell) =>
            `${cell.framework} (${((cell.serverCpuShare?.median ?? 0) * 100).toFixed(0)} % of a core)`,
        )
        .join(', ')}: its throughput ratios understate the overhead; read CPU per request.`,
    );
  }
  const missing = summary.filter((cell) => cell.accepted === 0);
  if (missing.length > 0) {
    warnings.push(
      `no accepted run for ${missing.map((c) => `${c.framework}/${c.mode}`).join(', ')}.`,
    );
  }
  return warnings;
}

const REBUILT = 'the otel-http packages were rebuilt during the run';

/**
 * The warning for packages rebuilt while the matrix ran: the only one that cannot be made again
 * from a stored result, since only the run saw the build change.
 *
 * @param {string} before
 * @param {string} after
 */
export function rebuiltWarning(before, after) {
  return `${REBUILT} (${before}, then ${after}): not every round measured the same build.`;
}

/**
 * Of a stored result's warnings, those that only the run itself could make ({@link rebuiltWarning}).
 * Every other warning is made again from the runs by {@link collectWarnings}, so that a result
 * rendered again follows the current rules — a warning an earlier rule made is not carried over.
 *
 * @param {readonly string[]} warnings
 */
export function runOnlyWarnings(warnings) {
  return warnings.filter((warning) => warning.startsWith(REBUILT));
}

/**
 * Whether the targets can be judged on this run, and why not: a quick run is a smoke test (two
 * short rounds), and the warnings of a noisy run say its figures are not final. A target not
 * judged is neither met nor missed.
 *
 * @param {import('./report/result.mjs').Meta} meta
 * @returns {{ judged: true } | { judged: false, why: string }}
 */
export function targetsJudged(meta) {
  if (meta.quick) {
    return { judged: false, why: 'a quick run (a smoke test: too few and too short rounds)' };
  }
  if (meta.warnings.length > 0) {
    return { judged: false, why: 'the run was noisy (see the warnings at the top)' };
  }
  return { judged: true };
}
