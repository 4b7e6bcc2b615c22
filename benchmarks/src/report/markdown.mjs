// The Markdown report: one table of every framework and mode, the targets, the versions,
// and every rejected run with its reason.

import { MODE_TRAITS, OFFICIAL_INSTRUMENTATION } from '../matrix.mjs';
import { fixed, spreadText, whole } from './format.mjs';

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
  const { meta, summary, targets, runs } = result;
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
    ]),
    row(['---', '---', '--:', '--:', '--:', '--:', '--:', '--:', '--:']),
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
      ]),
    );
  }
  lines.push('');

  const ids = [...new Set(targets.map((t) => t.id))];
  const frameworks = [...new Set(targets.map((t) => t.framework))];
  lines.push('## Targets', '');
  lines.push(
    row([
      'Framework',
      ...ids.map((id) => {
        const target = targets.find((t) => t.id === id);
        return target ? `${target.label} ${target.direction} ${target.limit}` : id;
      }),
    ]),
    row(['---', ...ids.map(() => '--:')]),
  );
  for (const framework of frameworks) {
    lines.push(
      row([
        framework,
        ...ids.map((id) => {
          const target = targets.find((t) => t.framework === framework && t.id === id);
          return target ? `${spreadText(target.value, 2)}${verdict(target.met)}` : '–';
        }),
      ]),
    );
  }
  lines.push('');

  lines.push('## Modes', '');
  for (const [mode, traits] of Object.entries(MODE_TRAITS)) {
    lines.push(`- \`${mode}\`: ${traits.description}.`);
  }
  for (const [framework, official] of Object.entries(OFFICIAL_INSTRUMENTATION)) {
    lines.push(`  - \`official\` for ${framework}: ${official}.`);
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
