// The targets (issue 16 set the metrics-only, 10 %-sampled and floor ones), evaluated from the per-round comparisons with `bare`. Every ratio of ratios
// is taken within a round, then the median over rounds is compared with the limit.

import { compareWithBare, spread } from './stats.mjs';

/**
 * @typedef {import('./matrix.mjs').Framework} Framework
 * @typedef {import('./stats.mjs').Run} Run
 * @typedef {import('./stats.mjs').Spread} Spread
 */

/**
 * @typedef {object} TargetResult
 * @property {Framework} framework
 * @property {string} id Short stable name of the target.
 * @property {string} label What is compared, in words, for the reports.
 * @property {'>=' | '<='} direction How the value must compare with the limit.
 * @property {number} limit
 * @property {Spread | undefined} value Over the rounds that have both sides of the comparison.
 * @property {boolean | undefined} met `undefined` when there is nothing to compare.
 */

/**
 * @typedef {object} TargetDefinition
 * @property {string} id
 * @property {string} label
 * @property {'>=' | '<='} direction
 * @property {number} limit
 * @property {(byMode: Map<string, import('./stats.mjs').RoundComparison>) => number | undefined} perRound
 */

/** @type {TargetDefinition[]} */
export const TARGETS = [
  {
    id: 'throughput',
    label: 'share of bare req/s otel-http keeps',
    direction: '>=',
    limit: 0.9,
    perRound: (byMode) => byMode.get('otel-http')?.throughputRatio,
  },
  {
    id: 'cpu-vs-floor',
    label: 'CPU per request otel-http adds, in multiples of what floor adds',
    direction: '<=',
    limit: 1.0,
    perRound: (byMode) => {
      const ours = byMode.get('otel-http');
      const floor = byMode.get('floor');
      if (ours === undefined || floor === undefined || floor.addedCpuUs <= 0) return undefined;
      return ours.addedCpuUs / floor.addedCpuUs;
    },
  },
  {
    id: 'loss-vs-official',
    label: 'req/s otel-http loses, in multiples of what official loses',
    direction: '<=',
    limit: 0.5,
    perRound: (byMode) => {
      const ours = byMode.get('otel-http');
      const official = byMode.get('official');
      if (ours === undefined || official === undefined) return undefined;
      const officialLoss = 1 - official.throughputRatio;
      // Official lost nothing measurable this round: no meaningful ratio.
      if (officialLoss <= 0) return undefined;
      return (1 - ours.throughputRatio) / officialLoss;
    },
  },
  {
    // The fair row for metrics-only mode: the official instrumentation with its tracing off.
    id: 'metrics-loss-vs-official-metrics',
    label: 'req/s metrics loses, in multiples of what official-metrics loses',
    direction: '<=',
    limit: 0.5,
    perRound: (byMode) => {
      const ours = byMode.get('metrics');
      const official = byMode.get('official-metrics');
      if (ours === undefined || official === undefined) return undefined;
      const officialLoss = 1 - official.throughputRatio;
      if (officialLoss <= 0) return undefined;
      return (1 - ours.throughputRatio) / officialLoss;
    },
  },
  {
    id: 'metrics',
    label: 'share of bare req/s metrics keeps',
    direction: '>=',
    limit: 0.95,
    perRound: (byMode) => byMode.get('metrics')?.throughputRatio,
  },
  {
    id: 'sampled-10',
    label: 'share of bare req/s otel-http-10% keeps',
    direction: '>=',
    limit: 0.88,
    perRound: (byMode) => byMode.get('otel-http-10%')?.throughputRatio,
  },
  {
    id: 'throughput-vs-floor',
    label: 'req/s otel-http serves, in multiples of what floor serves',
    direction: '>=',
    limit: 1.0,
    perRound: (byMode) => {
      const ours = byMode.get('otel-http');
      const floor = byMode.get('floor');
      if (ours === undefined || floor === undefined || !(floor.throughputRatio > 0))
        return undefined;
      return ours.throughputRatio / floor.throughputRatio;
    },
  },
  // The same throughput targets read from CPU per request: the throughput a server would keep if
  // it were saturated (bare CPU/request ÷ the mode's). They still hold when the load generator
  // could not keep the server busy, which makes the req/s ratios drift towards 1.
  {
    id: 'throughput-cpu',
    label: 'share of bare throughput otel-http keeps, from CPU per request',
    direction: '>=',
    limit: 0.9,
    perRound: (byMode) => inverse(byMode.get('otel-http')?.cpuRatio),
  },
  {
    id: 'loss-vs-official-cpu',
    label: 'throughput otel-http loses, in multiples of what official loses, from CPU per request',
    direction: '<=',
    limit: 0.5,
    perRound: (byMode) => {
      const ours = inverse(byMode.get('otel-http')?.cpuRatio);
      const official = inverse(byMode.get('official')?.cpuRatio);
      if (ours === undefined || official === undefined || official >= 1) return undefined;
      return (1 - ours) / (1 - official);
    },
  },
  {
    id: 'metrics-cpu',
    label: 'share of bare throughput metrics keeps, from CPU per request',
    direction: '>=',
    limit: 0.95,
    perRound: (byMode) => inverse(byMode.get('metrics')?.cpuRatio),
  },
];

/**
 * @param {number | undefined} ratio
 * @returns {number | undefined}
 */
function inverse(ratio) {
  return ratio === undefined || !(ratio > 0) ? undefined : 1 / ratio;
}

/**
 * @param {readonly Run[]} runs
 * @param {readonly Framework[]} frameworks
 * @returns {TargetResult[]}
 */
export function evaluateTargets(runs, frameworks) {
  const comparisons = compareWithBare(runs);
  return frameworks.flatMap((framework) => {
    const rounds = [
      ...new Set(comparisons.filter((c) => c.framework === framework).map((c) => c.round)),
    ];
    const byRound = rounds.map(
      (round) =>
        new Map(
          comparisons
            .filter((c) => c.framework === framework && c.round === round)
            .map((c) => [c.mode, c]),
        ),
    );
    return TARGETS.map((target) => {
      const values = byRound
        .map((byMode) => target.perRound(byMode))
        .filter(/** @returns {v is number} */ (v) => v !== undefined);
      const value = spread(values);
      const met =
        value === undefined
          ? undefined
          : target.direction === '>='
            ? value.median >= target.limit
            : value.median <= target.limit;
      return {
        framework,
        id: target.id,
        label: target.label,
        direction: target.direction,
        limit: target.limit,
        value,
        met,
      };
    });
  });
}
