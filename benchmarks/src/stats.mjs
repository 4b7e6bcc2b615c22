// Pure statistics over measured runs: medians, spreads, and the ratios to `bare` taken within each
// round (never median against median, so a round measured while the machine was slower compares
// like with like).

/**
 * @typedef {import('./matrix.mjs').Framework} Framework
 * @typedef {import('./matrix.mjs').Mode} Mode
 */

/**
 * One measured cell of one round: a server in one mode under load for a fixed time.
 *
 * @typedef {object} Run
 * @property {Framework} framework
 * @property {Mode} mode
 * @property {number} round Zero-based round number.
 * @property {number} position Place of the cell in its round's order.
 * @property {number} attempt 1 for the first try; a rejected run is measured again once.
 * @property {string[]} rejected Why the run does not count; empty when it is accepted.
 * @property {number} requests 2xx responses received by the load generator.
 * @property {number} durationSeconds Measured time of the load run.
 * @property {number} requestsPerSecond
 * @property {number} latencyP50Ms
 * @property {number} latencyP99Ms
 * @property {number} errors Connection errors and timeouts seen by the load generator.
 * @property {number} non2xx Responses with a status outside 2xx.
 * @property {number} handled Requests the route handler answered in the measured window.
 * @property {number} serverCpuMicros Server CPU time (user + system) in the measured window.
 * @property {number} cpuPerRequestUs `serverCpuMicros / handled`.
 * @property {number} [helperCpuPerRequestUs] The part of it used by threads other than the main one
 *   (V8's background garbage collection, mostly); absent in results from before it was measured.
 * @property {number} serverCpuShare Server CPU time over wall time (1 = one core busy throughout).
 * @property {number} foreignCpuShare CPU used by other processes of the machine meanwhile, in cores.
 * @property {{ server: number, other: number }} spans Spans exported in the window, by kind.
 * @property {number} durationPoints Requests counted by the request duration histogram.
 * @property {number} [allocatedBytesPerRequest] Bytes V8 allocated per request in the window (Node
 *   servers; absent in results from before it was measured).
 * @property {number} [rssBytes] The server's resident set size at the end of the window.
 */

/**
 * @typedef {object} Spread
 * @property {number} median
 * @property {number} min
 * @property {number} max
 * @property {number} n How many values.
 */

/**
 * @param {readonly number[]} values
 * @returns {number}
 */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/**
 * Median and range of the finite values; `undefined` when there are none.
 *
 * @param {readonly number[]} values
 * @returns {Spread | undefined}
 */
export function spread(values) {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return undefined;
  return {
    median: median(finite),
    min: Math.min(...finite),
    max: Math.max(...finite),
    n: finite.length,
  };
}

/**
 * One mode compared with `bare` of the same framework in the same round.
 *
 * @typedef {object} RoundComparison
 * @property {Framework} framework
 * @property {Mode} mode
 * @property {number} round
 * @property {number} throughputRatio req/s of the mode over req/s of `bare`.
 * @property {number} cpuRatio CPU per request of the mode over that of `bare`.
 * @property {number} addedCpuUs CPU per request the mode adds to `bare`, in µs.
 */

/**
 * Pairs every accepted run with the accepted `bare` run of its framework and round. Runs whose
 * round has no accepted `bare` are left out: comparing them with another round would mix machine
 * states.
 *
 * @param {readonly Run[]} runs
 * @returns {RoundComparison[]}
 */
export function compareWithBare(runs) {
  const accepted = runs.filter((run) => run.rejected.length === 0);
  /** @type {Map<string, Run>} */
  const bare = new Map();
  for (const run of accepted) {
    if (run.mode === 'bare') bare.set(`${run.framework}/${run.round}`, run);
  }
  /** @type {RoundComparison[]} */
  const comparisons = [];
  for (const run of accepted) {
    const reference = bare.get(`${run.framework}/${run.round}`);
    if (reference === undefined) continue;
    comparisons.push({
      framework: run.framework,
      mode: run.mode,
      round: run.round,
      throughputRatio: run.requestsPerSecond / reference.requestsPerSecond,
      cpuRatio: run.cpuPerRequestUs / reference.cpuPerRequestUs,
      addedCpuUs: run.cpuPerRequestUs - reference.cpuPerRequestUs,
    });
  }
  return comparisons;
}

/**
 * The figures of one framework and mode over all rounds.
 *
 * @typedef {object} CellSummary
 * @property {Framework} framework
 * @property {Mode} mode
 * @property {number} accepted Rounds whose run counted.
 * @property {number} rejected Runs rejected (including the ones measured again successfully).
 * @property {Spread | undefined} requestsPerSecond
 * @property {Spread | undefined} latencyP50Ms
 * @property {Spread | undefined} latencyP99Ms
 * @property {Spread | undefined} cpuPerRequestUs
 * @property {Spread | undefined} helperCpuPerRequestUs
 * @property {Spread | undefined} serverCpuShare
 * @property {Spread | undefined} allocatedBytesPerRequest
 * @property {Spread | undefined} rssBytes
 * @property {Spread | undefined} throughputRatio Per-round ratio to `bare`.
 * @property {Spread | undefined} cpuRatio Per-round ratio of CPU per request to `bare`'s.
 * @property {Spread | undefined} addedCpuUs Per-round CPU per request added to `bare`'s.
 */

/**
 * @param {readonly Run[]} runs
 * @param {readonly Framework[]} frameworks
 * @param {readonly Mode[] | ((framework: Framework) => readonly Mode[])} modes The same for every
 *   framework, or per framework.
 * @returns {CellSummary[]}
 */
export function summarise(runs, frameworks, modes) {
  const comparisons = compareWithBare(runs);
  const modesOf = typeof modes === 'function' ? modes : () => modes;
  return frameworks.flatMap((framework) =>
    modesOf(framework).map((mode) => {
      const mine = runs.filter((run) => run.framework === framework && run.mode === mode);
      const accepted = mine.filter((run) => run.rejected.length === 0);
      const compared = comparisons.filter((c) => c.framework === framework && c.mode === mode);
      /** @param {(run: Run) => number} pick */
      const over = (pick) => spread(accepted.map(pick));
      /** @param {(c: RoundComparison) => number} pick */
      const overRounds = (pick) => spread(compared.map(pick));
      return {
        framework,
        mode,
        accepted: accepted.length,
        rejected: mine.length - accepted.length,
        requestsPerSecond: over((run) => run.requestsPerSecond),
        latencyP50Ms: over((run) => run.latencyP50Ms),
        latencyP99Ms: over((run) => run.latencyP99Ms),
        cpuPerRequestUs: over((run) => run.cpuPerRequestUs),
        helperCpuPerRequestUs: over((run) => run.helperCpuPerRequestUs ?? Number.NaN),
        serverCpuShare: over((run) => run.serverCpuShare),
        allocatedBytesPerRequest: over((run) => run.allocatedBytesPerRequest ?? Number.NaN),
        rssBytes: over((run) => run.rssBytes ?? Number.NaN),
        throughputRatio: overRounds((c) => c.throughputRatio),
        cpuRatio: overRounds((c) => c.cpuRatio),
        addedCpuUs: overRounds((c) => c.addedCpuUs),
      };
    }),
  );
}
