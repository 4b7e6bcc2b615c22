// Pure functions over instruction counts: per-request figures, the ratios to `bare` and to
// `floor`, the targets read from them, the Markdown table, and the regression gate's comparison
// with the committed baseline.

import { fixed, whole } from '../report/format.mjs';
import { median } from '../stats.mjs';

/**
 * @typedef {import('./measure.mjs').InstructionRun} InstructionRun
 */

/**
 * @typedef {object} InstructionCell
 * @property {string} framework
 * @property {string} mode
 * @property {number} runs
 * @property {number} instructionsPerRequest Median over the runs.
 * @property {number} bytesPerRequest Median over the runs.
 * @property {number} instructionsSpread (max − min) / median over the runs; 0 for one run.
 * @property {number} bytesSpread
 */

/**
 * @param {readonly number[]} values
 */
function relativeSpread(values) {
  const middle = median(values);
  return values.length < 2 || !(middle > 0)
    ? 0
    : (Math.max(...values) - Math.min(...values)) / middle;
}

/**
 * One cell per framework × mode that has runs, in the order given.
 *
 * @param {readonly InstructionRun[]} runs
 * @param {readonly string[]} frameworks
 * @param {readonly string[]} modes
 * @returns {InstructionCell[]}
 */
export function summariseInstructions(runs, frameworks, modes) {
  return frameworks.flatMap((framework) =>
    modes.flatMap((mode) => {
      const own = runs.filter((r) => r.framework === framework && r.mode === mode);
      if (own.length === 0) return [];
      const instructions = own.map((r) => r.instructions / r.requests);
      const bytes = own.map((r) => r.allocatedBytes / r.requests);
      return [
        {
          framework,
          mode,
          runs: own.length,
          instructionsPerRequest: median(instructions),
          bytesPerRequest: median(bytes),
          instructionsSpread: relativeSpread(instructions),
          bytesSpread: relativeSpread(bytes),
        },
      ];
    }),
  );
}

/**
 * @typedef {object} CellRatios
 * @property {number | undefined} vsBare The cell's instructions per request ÷ bare's.
 * @property {number | undefined} vsFloor ÷ floor's.
 * @property {number | undefined} addedVsFloor What the mode adds to bare, in multiples of what
 *   floor adds.
 * @property {number | undefined} bytesVsBare
 * @property {number | undefined} bytesVsFloor
 */

/**
 * @param {readonly InstructionCell[]} cells
 * @param {InstructionCell} cell
 * @returns {CellRatios}
 */
export function cellRatios(cells, cell) {
  const find = (/** @type {string} */ mode) =>
    cells.find((c) => c.framework === cell.framework && c.mode === mode);
  const bare = find('bare');
  const floor = find('floor');
  const divide = (/** @type {number} */ a, /** @type {number | undefined} */ b) =>
    b === undefined || !(b > 0) ? undefined : a / b;
  const floorAdded =
    bare === undefined || floor === undefined
      ? undefined
      : floor.instructionsPerRequest - bare.instructionsPerRequest;
  return {
    vsBare: divide(cell.instructionsPerRequest, bare?.instructionsPerRequest),
    vsFloor: divide(cell.instructionsPerRequest, floor?.instructionsPerRequest),
    addedVsFloor:
      bare === undefined || cell.mode === 'bare'
        ? undefined
        : divide(cell.instructionsPerRequest - bare.instructionsPerRequest, floorAdded),
    bytesVsBare: divide(cell.bytesPerRequest, bare?.bytesPerRequest),
    bytesVsFloor: divide(cell.bytesPerRequest, floor?.bytesPerRequest),
  };
}

/**
 * @typedef {object} InstructionTarget
 * @property {string} id
 * @property {string} mode
 * @property {string} label
 * @property {keyof CellRatios} ratio
 * @property {number} limit The ratio must be at most this.
 */

/**
 * The metrics-cost targets read from instructions, beside the throughput ones of ../targets.mjs:
 * a server that spends `r` times bare's instructions per request keeps about `1 / r` of its
 * throughput when the CPU is what limits it. The limits are those throughput targets turned into
 * instruction ratios (keep 97 % → at most 1.03× bare; keep 90 % → at most 1.11×; at most 1.15×
 * what floor adds); the 10 % one sits between metrics-only and fully traced.
 *
 * @type {InstructionTarget[]}
 */
export const INSTRUCTION_TARGETS = [
  {
    id: 'metrics-vs-bare',
    mode: 'metrics',
    label: 'metrics-only instructions per request ÷ bare',
    ratio: 'vsBare',
    limit: 1.03,
  },
  {
    id: 'metrics-vs-floor',
    mode: 'metrics',
    label: 'metrics-only instructions added, in multiples of what floor adds',
    ratio: 'addedVsFloor',
    limit: 0.5,
  },
  {
    id: 'sampled-10-vs-bare',
    mode: 'otel-http-10%',
    label: '10 %-sampled instructions per request ÷ bare',
    ratio: 'vsBare',
    limit: 1.06,
  },
  {
    id: 'sampled-10-vs-floor',
    mode: 'otel-http-10%',
    label: '10 %-sampled instructions added, in multiples of what floor adds',
    ratio: 'addedVsFloor',
    limit: 0.6,
  },
  {
    id: 'sampled-100-vs-bare',
    mode: 'otel-http',
    label: '100 %-sampled instructions per request ÷ bare',
    ratio: 'vsBare',
    limit: 1.11,
  },
  {
    id: 'sampled-100-vs-floor',
    mode: 'otel-http',
    label: '100 %-sampled instructions added, in multiples of what floor adds',
    ratio: 'addedVsFloor',
    limit: 1.15,
  },
];

/**
 * @param {readonly InstructionCell[]} cells
 * @returns {{ framework: string, target: InstructionTarget, value: number | undefined, met: boolean | undefined }[]}
 */
export function evaluateInstructionTargets(cells) {
  const frameworks = [...new Set(cells.map((c) => c.framework))];
  return frameworks.flatMap((framework) =>
    INSTRUCTION_TARGETS.map((target) => {
      const cell = cells.find((c) => c.framework === framework && c.mode === target.mode);
      const value = cell === undefined ? undefined : cellRatios(cells, cell)[target.ratio];
      return {
        framework,
        target,
        value,
        met: value === undefined ? undefined : value <= target.limit,
      };
    }),
  );
}

/**
 * @typedef {object} InstructionResult
 * @property {{ date: string, node: string, valgrind: string, v8Flags: string[], protocol: import('./measure.mjs').InstructionProtocol, commit: string, builtAt: string, cpuModel: string, loadAverage: number[] }} meta
 * @property {InstructionCell[]} cells
 * @property {InstructionRun[]} runs
 */

/** @param {number | undefined} value */
const ratioText = (value) => (value === undefined ? '–' : `${fixed(value, 2)}×`);
/** @param {number} share */
const percent = (share) => `${fixed(share * 100, 2)} %`;

/**
 * @param {InstructionResult} result
 */
export function renderInstructionsMarkdown(result) {
  const { meta, cells } = result;
  const lines = [
    `# Instructions and allocations per request (${meta.node})`,
    '',
    `Counted by callgrind (${meta.valgrind}) over ${meta.protocol.requests} sequential keep-alive requests ` +
      `(each sent ${meta.protocol.pauseMs} ms after the previous response) after ${meta.protocol.warmup + meta.protocol.settle} ` +
      'uncounted ones, every thread of the server; V8 flags ' +
      `\`${meta.v8Flags.join(' ')}\`. Commit ${meta.commit}, packages built ${meta.builtAt}, ` +
      `${meta.cpuModel}. Runs per cell: ${Math.max(...cells.map((c) => c.runs))}; with more than one, each ` +
      'figure is their median and "spread" is (max − min) ÷ median over them.',
    '',
    '| Framework | Mode | Instructions / request | × bare | × floor | added ÷ floor added | Bytes / request | × bare | × floor | spread (instr., bytes) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const cell of cells) {
    const r = cellRatios(cells, cell);
    lines.push(
      `| ${cell.framework} | ${cell.mode} | ${whole(cell.instructionsPerRequest)} | ${ratioText(r.vsBare)} | ` +
        `${ratioText(r.vsFloor)} | ${ratioText(r.addedVsFloor)} | ${whole(cell.bytesPerRequest)} | ` +
        `${ratioText(r.bytesVsBare)} | ${ratioText(r.bytesVsFloor)} | ` +
        `${cell.runs < 2 ? '–' : `${percent(cell.instructionsSpread)}, ${percent(cell.bytesSpread)}`} |`,
    );
  }
  lines.push('', '## Targets (instructions)', '', '| Framework | Target | Limit | Value | Met |');
  lines.push('| --- | --- | ---: | ---: | :---: |');
  for (const row of evaluateInstructionTargets(cells)) {
    const met = row.met === undefined ? '–' : row.met ? '✅' : '❌';
    lines.push(
      `| ${row.framework} | ${row.target.label} | ≤ ${fixed(row.target.limit, 2)} | ${ratioText(row.value)} | ${met} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * @typedef {object} GateRow
 * @property {string} framework
 * @property {string} mode
 * @property {number | undefined} baseline Instructions per request in the committed baseline.
 * @property {number} current
 * @property {number | undefined} change current ÷ baseline − 1.
 * @property {number | undefined} baselineVsBare The cell's ratio to bare in the baseline.
 * @property {number | undefined} currentVsBare
 * @property {number | undefined} ratioChange currentVsBare ÷ baselineVsBare − 1: what the gate judges.
 * @property {number | undefined} baselineBytes
 * @property {number} currentBytes
 * @property {boolean} gated Whether the cell can fail the gate (the otel-http modes).
 * @property {boolean} failed
 */

/** The modes whose cost the gate guards: what otel-http itself adds. */
export const GATED_MODES = ['metrics', 'otel-http', 'otel-http-10%'];

/**
 * Compares a short run with the committed baseline. The gate judges each otel-http mode's ratio
 * to `bare` measured in the same run, so that a different Node build, C library or CPU (which
 * move every cell alike) does not fail it, while a rise in what otel-http adds does.
 *
 * @param {readonly InstructionCell[]} baseline
 * @param {readonly InstructionCell[]} current
 * @param {number} threshold Largest allowed rise of the ratio to bare, e.g. 0.02 for 2 %.
 * @returns {GateRow[]}
 */
export function compareWithBaseline(baseline, current, threshold) {
  return current.map((cell) => {
    const before = baseline.find((c) => c.framework === cell.framework && c.mode === cell.mode);
    const baselineVsBare = before === undefined ? undefined : cellRatios(baseline, before).vsBare;
    const currentVsBare = cellRatios(current, cell).vsBare;
    const ratioChange =
      baselineVsBare === undefined || currentVsBare === undefined
        ? undefined
        : currentVsBare / baselineVsBare - 1;
    const gated = GATED_MODES.includes(cell.mode);
    return {
      framework: cell.framework,
      mode: cell.mode,
      baseline: before?.instructionsPerRequest,
      current: cell.instructionsPerRequest,
      change:
        before === undefined
          ? undefined
          : cell.instructionsPerRequest / before.instructionsPerRequest - 1,
      baselineVsBare,
      currentVsBare,
      ratioChange,
      baselineBytes: before?.bytesPerRequest,
      currentBytes: cell.bytesPerRequest,
      gated,
      // A gated cell the baseline does not have, or without its bare, cannot pass unseen.
      failed: gated && (ratioChange === undefined || ratioChange > threshold),
    };
  });
}

/** @param {number | undefined} change */
function signedPercent(change) {
  if (change === undefined) return '–';
  const text = fixed(change * 100, 2);
  return change > 0 ? `+${text} %` : `${text} %`;
}

/**
 * The gate's diff, one line per cell, then the verdict.
 *
 * @param {readonly GateRow[]} rows
 * @param {number} threshold
 */
export function renderGate(rows, threshold) {
  const lines = [
    '| Framework | Mode | Baseline instr./req | Now | Change | × bare then | × bare now | Ratio change | Bytes/req then → now | Verdict |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const verdict = !row.gated ? '(reference)' : row.failed ? 'FAIL' : 'ok';
    lines.push(
      `| ${row.framework} | ${row.mode} | ${row.baseline === undefined ? '–' : whole(row.baseline)} | ` +
        `${whole(row.current)} | ${signedPercent(row.change)} | ${ratioText(row.baselineVsBare)} | ` +
        `${ratioText(row.currentVsBare)} | ${signedPercent(row.ratioChange)} | ` +
        `${row.baselineBytes === undefined ? '–' : whole(row.baselineBytes)} → ${whole(row.currentBytes)} | ${verdict} |`,
    );
  }
  const failed = rows.filter((r) => r.failed);
  lines.push(
    '',
    failed.length === 0
      ? `Instruction gate passed: no otel-http mode's instructions per request rose more than ${fixed(threshold * 100, 1)} % relative to bare.`
      : `Instruction gate FAILED: ${failed.map((r) => `${r.framework} ${r.mode} (${signedPercent(r.ratioChange)})`).join(', ')} ` +
          `rose more than ${fixed(threshold * 100, 1)} % over the committed baseline relative to bare. ` +
          'If the rise is intended, update benchmarks/results/instructions.json with `pnpm --filter @otel-http/benchmarks bench:instructions` and commit it for review.',
  );
  return `${lines.join('\n')}\n`;
}
