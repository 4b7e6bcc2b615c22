// `pnpm --filter @otel-http/benchmarks bench:instructions [options]`: the matrix under callgrind,
// instructions and V8 heap bytes per request, written to results/instructions.{json,md}; with
// `--check`, the CI gate: a few cells compared with that committed baseline. See ../../README.md.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { builtAt, checkBuiltPackages, gitCommit } from '../environment.mjs';
import { FRAMEWORKS, MODES } from '../matrix.mjs';
import { V8_FLAGS } from './callgrind.mjs';
import { DEFAULT_PROTOCOL, inParallel, measureInstructions } from './measure.mjs';
import {
  compareWithBaseline,
  renderGate,
  renderInstructionsMarkdown,
  summariseInstructions,
} from './report.mjs';

/** The gate's cells: two frameworks, bare and the otel-http modes whose cost it guards. */
const GATE_FRAMEWORKS = ['express', 'fastify'];
const GATE_MODES = ['bare', 'metrics', 'otel-http'];
/** How much an otel-http mode's instructions per request, relative to bare, may rise. */
const GATE_THRESHOLD = 0.01;

const HELP = `Usage: pnpm bench:instructions [options]

  --check               the CI gate: ${GATE_FRAMEWORKS.join(',')} × ${GATE_MODES.join(',')}, compared with
                        results/instructions.json; fails when an otel-http mode rose more than ${GATE_THRESHOLD * 100} %
  --threshold <share>   the gate's threshold (default ${GATE_THRESHOLD})
  --runs <n>            runs per cell (default 1; 3 for the committed baseline)
  --jobs <n>            cells measured at once (default: the number of CPUs)
  --requests <n>        measured requests per cell (default ${DEFAULT_PROTOCOL.requests})
  --warmup <n>          uncounted requests before instrumentation (default ${DEFAULT_PROTOCOL.warmup})
  --frameworks <list>   comma-separated subset of ${FRAMEWORKS.join(',')}
  --modes <list>        comma-separated subset of ${MODES.join(',')} (bare is always added)
  --node <binary>       Node binary for the servers (default: this one)
  --out <dir>           where to write instructions.{json,md} (default results/; results/raw/ with --check)
  --baseline <file>     the baseline --check compares with (default results/instructions.json)
  --render <file.json>  rebuild the Markdown beside a stored result, without counting
  --help`;

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--')),
  options: {
    check: { type: 'boolean', default: false },
    threshold: { type: 'string' },
    runs: { type: 'string' },
    jobs: { type: 'string' },
    requests: { type: 'string' },
    warmup: { type: 'string' },
    frameworks: { type: 'string' },
    modes: { type: 'string' },
    node: { type: 'string' },
    out: { type: 'string' },
    baseline: { type: 'string' },
    render: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (values.render !== undefined) {
  // Rebuilds the Markdown beside a stored JSON result, without counting again.
  const stored = JSON.parse(readFileSync(values.render, 'utf8'));
  writeFileSync(values.render.replace(/\.json$/, '.md'), renderInstructionsMarkdown(stored));
  process.exit(0);
}

/**
 * @param {string | undefined} text
 * @param {number} fallback
 * @param {string} name
 */
function positive(text, fallback, name) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0)) throw new Error(`--${name} must be a positive number, got ${text}`);
  return value;
}

/**
 * @param {string | undefined} text
 * @param {readonly string[]} all
 * @param {string} name
 */
function subset(text, all, name) {
  if (text === undefined) return [...all];
  const chosen = text.split(',').map((s) => s.trim());
  const unknown = chosen.filter((s) => !all.includes(s));
  if (unknown.length > 0) throw new Error(`--${name}: unknown ${unknown.join(', ')}`);
  return all.filter((a) => chosen.includes(a));
}

function valgrindVersion() {
  try {
    return execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    console.error('valgrind is not installed (Debian: apt-get install -y valgrind)');
    process.exit(2);
  }
}

const check = values.check;
const frameworks = subset(values.frameworks, check ? GATE_FRAMEWORKS : FRAMEWORKS, 'frameworks');
const modes = subset(values.modes, check ? GATE_MODES : MODES, 'modes');
if (!modes.includes('bare')) modes.unshift('bare');
const runs = Math.round(positive(values.runs, 1, 'runs'));
const jobs = Math.round(positive(values.jobs, os.availableParallelism(), 'jobs'));
const threshold = positive(values.threshold, GATE_THRESHOLD, 'threshold');
const protocol = {
  ...DEFAULT_PROTOCOL,
  requests: Math.round(positive(values.requests, DEFAULT_PROTOCOL.requests, 'requests')),
  warmup: Math.round(positive(values.warmup, DEFAULT_PROTOCOL.warmup, 'warmup')),
};
const node = values.node ?? process.execPath;
const valgrind = valgrindVersion();
checkBuiltPackages(frameworks);
const commit = gitCommit() ?? 'unknown';
const build = builtAt(frameworks);

const benchDir = fileURLToPath(new URL('../..', import.meta.url));
const baselineFile = values.baseline ?? join(benchDir, 'results/instructions.json');
const outDir = values.out ?? join(benchDir, check ? 'results/raw' : 'results');
const dumps = mkdtempSync(join(os.tmpdir(), 'otel-http-callgrind-'));
const loadAverage = os.loadavg();
const started = performance.now();

const cells = Array.from({ length: runs }, (_, run) =>
  frameworks.flatMap((framework) => modes.map((mode) => ({ framework, mode, run }))),
).flat();
let done = 0;
const measured = await inParallel(
  cells.map((cell) => async () => {
    // A server that failed to start or answer is measured once more before the run gives up.
    const attempt = () => measureInstructions({ ...cell, node, dir: dumps, protocol });
    const result = await attempt().catch((/** @type {unknown} */ error) => {
      console.error(`${cell.framework} ${cell.mode}: ${String(error)}; measuring it again`);
      return attempt();
    });
    done++;
    console.error(
      `[${done}/${cells.length}] ${cell.framework} ${cell.mode} run ${cell.run + 1}: ` +
        `${Math.round(result.instructions / result.requests).toLocaleString('en-US')} instructions, ` +
        `${Math.round(result.allocatedBytes / result.requests).toLocaleString('en-US')} bytes per request`,
    );
    return result;
  }),
  jobs,
).finally(() => rmSync(dumps, { recursive: true, force: true }));

const result = {
  meta: {
    date: new Date().toISOString(),
    node: measured[0]?.node ?? 'unknown',
    valgrind,
    v8Flags: V8_FLAGS,
    protocol,
    commit,
    builtAt: build,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    loadAverage,
  },
  cells: summariseInstructions(measured, frameworks, modes),
  runs: measured,
};
const seconds = ((performance.now() - started) / 1000).toFixed(0);
mkdirSync(outDir, { recursive: true });
const name = check ? 'instructions-check' : 'instructions';
writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(outDir, `${name}.md`), renderInstructionsMarkdown(result));

if (!check) {
  console.log(renderInstructionsMarkdown(result));
  console.error(`Wrote ${join(outDir, name)}.{json,md} in ${seconds} s.`);
} else {
  /** @type {import('./report.mjs').InstructionResult} */
  const baseline = JSON.parse(readFileSync(baselineFile, 'utf8'));
  const rows = compareWithBaseline(baseline.cells, result.cells, threshold);
  console.log(
    `Baseline: ${baseline.meta.node}, commit ${baseline.meta.commit}; now: ${result.meta.node}, commit ${commit} (${seconds} s).`,
  );
  if (baseline.meta.node.split('.')[0] !== result.meta.node.split('.')[0]) {
    console.log(
      `The baseline was counted on ${baseline.meta.node}: the ratios to bare still compare, the absolute counts do not.`,
    );
  }
  console.log(renderGate(rows, threshold));
  if (rows.some((r) => r.failed)) process.exitCode = 1;
}
