// The Markdown report. First one plain table: what each mode adds to a request (CPU µs) and what
// it keeps of the throughput, per framework, otel-http beside the official instrumentation. Below
// it every measurement with its ratios to `bare`, the targets (judged only on a full, quiet run),
// the modes, the versions, and every rejected run with its reason.

import { GO_INSTRUMENTATION, isGo, MODE_TRAITS, OFFICIAL_INSTRUMENTATION } from '../matrix.mjs';
import { SATURATED_SERVER_CPU, targetsJudged } from '../warnings.mjs';
import { fixed, spreadText, whole } from './format.mjs';

/**
 * The modes of the first table, in its column order, with their headings.
 *
 * @type {[import('../matrix.mjs').Mode, string][]}
 */
const COST_COLUMNS = [
  ['otel-http', 'otel-http'],
  ['official', 'official'],
  ['otel-http-10%', 'otel-http, 10 % sampled'],
  ['metrics', 'otel-http, metrics only'],
  ['official-metrics', 'official, metrics only'],
  ['floor', 'floor'],
];

/**
 * The columns of the Go reference table.
 *
 * @type {[import('../matrix.mjs').Mode, string][]}
 */
const GO_COST_COLUMNS = [
  ['instrumented', 'instrumented'],
  ['instrumented-10%', 'instrumented, 10 % sampled'],
  ['instrumented-metrics', 'instrumented, metrics only'],
];

const DIRECTION = { '>=': '≥', '<=': '≤' };

/**
 * @typedef {import('./result.mjs').BenchmarkResult} BenchmarkResult
 */

/**
 * @param {readonly string[]} cells
 */
const row = (cells) => `| ${cells.join(' | ')} |`;

/**
 * @param {boolean | undefined} met
 */
const verdict = (met) => (met === undefined ? '' : met ? ' ✅' : ' ❌');

/**
 * autocannon measures latency in whole milliseconds (truncated): 0 means under 1 ms.
 *
 * @param {number | undefined} value
 */
const milliseconds = (value) =>
  value === undefined || !Number.isFinite(value) ? '–' : value < 1 ? '< 1' : fixed(value, 0);

/**
 * @param {BenchmarkResult} result
 * @returns {string}
 */
export function renderMarkdown(result) {
  const { meta, summary, runs } = result;
  const lines = [];
  lines.push(
    `# otel-http benchmark — Node ${meta.serverNode}${meta.quick ? ' (quick run)' : ''}`,
    '',
  );
  for (const warning of meta.warnings) lines.push(`> **Warning:** ${warning}`, '');

  const pinning = meta.pinning
    ? `servers pinned to CPU ${meta.pinning.server}, load generator to CPU ${meta.pinning.load}`
    : 'no CPU pinning';
  const { rounds, warmupSeconds, durationSeconds, connections } = meta.protocol;
  lines.push(
    `${meta.date} · ${meta.platform} · ${meta.cpus} × ${meta.cpuModel} · ${pinning}.`,
    `${rounds} round${rounds === 1 ? '' : 's'} in rotated order; per cell a fresh server process, ${warmupSeconds} s warm-up ` +
      `(discarded), ${durationSeconds} s measured with ${connections} connections on ` +
      '`GET /users/:id`. Ratios to `bare` are taken within each round: median (min–max).',
    'Latency is the median over rounds of each run’s p50 / p99, in whole milliseconds (autocannon’s resolution).',
    `Load average at start ${meta.loadAverage.start.map((l) => l.toFixed(2)).join(' / ')}; ` +
      `CPU used by other processes while measuring: ${spreadText(meta.foreignCpu, 2)} cores.`,
    '',
  );

  lines.push(...costTable(result), '');
  const goRows = goTable(result);
  if (goRows.length > 0) lines.push(...goRows, '');

  lines.push('## Measurements', '');
  lines.push(
    'Every framework and mode: medians over the rounds, and ratios to `bare` of the same round ' +
      '(median, min–max). Memory, for the Node servers: the bytes V8 allocated on its heap per ' +
      'request over the measured load (heap growth plus what every collection in it freed), and ' +
      'the resident set size when the load ended.',
    '',
  );
  lines.push(
    row([
      'Framework',
      'Mode',
      'req/s',
      '× bare',
      'p50 ms',
      'p99 ms',
      'CPU µs/req',
      'of which helper threads',
      'CPU × bare',
      'KiB allocated/req',
      'RSS MiB',
    ]),
    row(['---', '---', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:']),
  );
  for (const cell of summary) {
    const isBare = cell.mode === 'bare';
    lines.push(
      row([
        cell.framework,
        cell.mode,
        whole(cell.requestsPerSecond?.median ?? Number.NaN),
        isBare ? '1' : spreadText(cell.throughputRatio, 2),
        milliseconds(cell.latencyP50Ms?.median),
        milliseconds(cell.latencyP99Ms?.median),
        fixed(cell.cpuPerRequestUs?.median ?? Number.NaN, 1),
        fixed(cell.helperCpuPerRequestUs?.median ?? Number.NaN, 1),
        isBare ? '1' : spreadText(cell.cpuRatio, 2),
        fixed((cell.allocatedBytesPerRequest?.median ?? Number.NaN) / 1024, 1),
        fixed((cell.rssBytes?.median ?? Number.NaN) / (1024 * 1024), 0),
      ]),
    );
  }
  lines.push('');

  lines.push(...targetsTable(result), '');

  lines.push('## Modes', '');
  for (const [mode, traits] of Object.entries(MODE_TRAITS)) {
    lines.push(`- \`${mode}\`: ${traits.description}.`);
  }
  for (const [framework, official] of Object.entries(OFFICIAL_INSTRUMENTATION)) {
    lines.push(`  - \`official\` for ${framework}: ${official}.`);
  }
  if (meta.go !== undefined) {
    for (const [framework, instrumentation] of Object.entries(GO_INSTRUMENTATION)) {
      lines.push(`  - \`instrumented\` for ${framework}: ${instrumentation}.`);
    }
  }
  lines.push('');

  lines.push('## Versions', '');
  lines.push(
    `Servers on Node ${meta.serverNode}; harness and load generator on Node ${meta.harnessNode}.`,
  );
  if (meta.commit) {
    lines.push(
      `Repository commit ${meta.commit}` +
        (meta.builtAt ? `; otel-http packages built ${meta.builtAt}.` : '.'),
    );
  }
  lines.push('', row(['Package', 'Version']), row(['---', '---']));
  for (const [name, version] of Object.entries(meta.packages)) lines.push(row([name, version]));
  lines.push('');
  if (meta.go !== undefined) {
    lines.push(`Go rows built with ${meta.go.version}.`, '', row(['Go module', 'Version']));
    lines.push(row(['---', '---']));
    for (const [name, version] of Object.entries(meta.go.modules)) lines.push(row([name, version]));
    lines.push('');
  }

  const rejected = runs.filter((run) => run.rejected.length > 0);
  lines.push('## Rejected runs', '');
  if (rejected.length === 0) lines.push('None.');
  for (const run of rejected) {
    lines.push(
      `- ${run.framework} / ${run.mode}, round ${run.round + 1}, attempt ${run.attempt}: ${run.rejected.join('; ')}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * Per framework: `bare`'s CPU per request, then for each mode the CPU it adds to a request and the
 * share of `bare`'s req/s it keeps.
 *
 * @param {BenchmarkResult} result
 * @returns {string[]}
 */
function costTable({ meta, summary }) {
  const frameworks = [...new Set(summary.map((cell) => cell.framework))].filter((f) => !isGo(f));
  const columns = COST_COLUMNS.filter(([mode]) => summary.some((cell) => cell.mode === mode));
  /**
   * @param {string} framework
   * @param {string} mode
   */
  const cell = (framework, mode) =>
    summary.find((entry) => entry.framework === framework && entry.mode === mode);
  const lines = [
    '## What the telemetry costs',
    '',
    'For each mode: the server CPU time it adds to one request (µs, median over the rounds of the ' +
      'difference with `bare` in the same round) and the share of `bare`’s throughput (req/s) the ' +
      'server keeps. `official` is the instrumentation a user would otherwise pick; `floor` the ' +
      'least any instrumentation pays the SDK (a span and a histogram record).',
    '',
    ...costRows(frameworks, columns, cell, (framework) => meta.packages[framework]),
  ];
  return lines;
}

/**
 * The rows of a cost table: a heading, then per framework `bare`'s CPU per request and each
 * column's {@link costText}.
 *
 * @param {readonly string[]} frameworks
 * @param {readonly (readonly [string, string])[]} columns `[mode, heading]` pairs.
 * @param {(framework: string, mode: string) => import('../stats.mjs').CellSummary | undefined} cell
 * @param {(framework: string) => string | undefined} versionOf
 * @returns {string[]}
 */
function costRows(frameworks, columns, cell, versionOf) {
  const lines = [
    row(['Framework', 'bare: CPU per request', ...columns.map(([, heading]) => heading)]),
    row(['---', '--:', ...columns.map(() => '--:')]),
  ];
  for (const framework of frameworks) {
    const version = versionOf(framework);
    lines.push(
      row([
        version ? `${framework} ${version}` : framework,
        `${fixed(cell(framework, 'bare')?.cpuPerRequestUs?.median ?? Number.NaN, 1)} µs`,
        ...columns.map(([mode]) => costText(cell(framework, mode))),
      ]),
    );
  }
  return lines;
}

/**
 * The Go rows, when they ran: what the Go instrumentation adds to a Gin or Echo request, relative to
 * the same framework's bare Go server in the same round. Empty without Go rows.
 *
 * @param {BenchmarkResult} result
 * @returns {string[]}
 */
function goTable({ meta, summary }) {
  const frameworks = [...new Set(summary.map((cell) => cell.framework))].filter(isGo);
  if (frameworks.length === 0) return [];
  /**
   * @param {string} framework
   * @param {string} mode
   */
  const cell = (framework, mode) =>
    summary.find((entry) => entry.framework === framework && entry.mode === mode);
  const modules = meta.go?.modules ?? {};
  const versionOf = (/** @type {string} */ framework) =>
    framework === 'gin'
      ? modules['github.com/gin-gonic/gin']
      : modules['github.com/labstack/echo/v4'];
  const lines = [
    '## The Go reference: what telemetry costs Gin and Echo',
    '',
    'The same route, load generator and rounds, on Go servers (`examples/go/cmd/bench`) ' +
      'instrumented the way a Go user does it today. Read the ratios beside the Node rows above: ' +
      'each is taken against the same framework’s bare server in the same round. The µs of a Go ' +
      'server and of a Node server are not comparable, and neither are their req/s: the two ' +
      'runtimes differ in everything but the route.',
    '',
    ...costRows(frameworks, GO_COST_COLUMNS, cell, versionOf),
  ];
  const unsaturated = frameworks.filter((framework) => {
    const share = cell(framework, 'bare')?.serverCpuShare?.median;
    return share !== undefined && share < SATURATED_SERVER_CPU;
  });
  if (unsaturated.length > 0) {
    lines.push(
      '',
      `The load generator did not keep the bare Go server busy for ${unsaturated
        .map(
          (f) =>
            `${f} (${fixed((cell(f, 'bare')?.serverCpuShare?.median ?? 0) * 100, 0)} % of a core)`,
        )
        .join(
          ', ',
        )}: there, the share of throughput kept understates the cost; read the CPU added.`,
    );
  }
  return lines;
}

/**
 * `+11.3 µs, keeps 68 %`.
 *
 * @param {import('../stats.mjs').CellSummary | undefined} cell
 */
function costText(cell) {
  const added = cell?.addedCpuUs?.median;
  const kept = cell?.throughputRatio?.median;
  if (added === undefined || kept === undefined) return '–';
  return `${added >= 0 ? '+' : ''}${fixed(added, 1)} µs, keeps ${fixed(kept * 100, 0)} %`;
}

/**
 * One row per target, one column per framework. On a quick or noisy run the values are shown
 * without a verdict.
 *
 * @param {BenchmarkResult} result
 * @returns {string[]}
 */
function targetsTable({ meta, targets }) {
  const ids = [...new Set(targets.map((t) => t.id))];
  const frameworks = [...new Set(targets.map((t) => t.framework))];
  const judging = targetsJudged(meta);
  const lines = ['## Targets', ''];
  lines.push(
    judging.judged
      ? 'Each value is the median over the rounds of a ratio taken within each round (min–max): ' +
          '✅ the target is met, ❌ it is not.'
      : `**Not judged:** ${judging.why}. The values are shown for information; none of them is ` +
          'a pass or a fail.',
    '',
    row(['What is compared', 'Target', ...frameworks]),
    row(['---', '--:', ...frameworks.map(() => '--:')]),
  );
  for (const id of ids) {
    const first = targets.find((t) => t.id === id);
    if (first === undefined) continue;
    lines.push(
      row([
        first.label,
        `${DIRECTION[first.direction]} ${first.limit}`,
        ...frameworks.map((framework) => {
          const target = targets.find((t) => t.framework === framework && t.id === id);
          if (target === undefined) return '–';
          return `${spreadText(target.value, 2)}${judging.judged ? verdict(target.met) : ''}`;
        }),
      ]),
    );
  }
  return lines;
}
