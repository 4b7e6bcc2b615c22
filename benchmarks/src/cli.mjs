// `pnpm bench [--quick] [--node <binary>] [...]`: runs the matrix and writes the JSON, Markdown and
// SVG reports. See ../README.md for the protocol and every option.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  builtAt,
  checkBuiltPackages,
  gitCommit,
  goModuleVersions,
  nodeVersion,
  packageVersions,
} from './environment.mjs';
import { FRAMEWORKS, GO_FRAMEWORKS, MODES } from './matrix.mjs';
import { buildGoServer, canPin, startLoadGenerator } from './processes.mjs';
import { renderMarkdown } from './report/markdown.mjs';
import { buildResult } from './report/result.mjs';
import { renderSvg } from './report/svg.mjs';
import { modesOf, runMatrix } from './runner.mjs';
import { spread } from './stats.mjs';
import { collectWarnings, rebuiltWarning } from './warnings.mjs';

const HELP = `Usage: pnpm bench [options]

  --quick               short run for CI: 2 rounds, 0.5 s warm-up, 1 s per cell (written to results/raw/)
  --node <binary>       Node binary for the servers (default: $OTEL_HTTP_BENCH_NODE, else this Node)
  --rounds <n>          rounds, each in rotated order (default 5)
  --warmup <seconds>    discarded warm-up per cell (default 2)
  --duration <seconds>  measured load per cell (default 8)
  --connections <n>     concurrent connections of the load generator (default 50)
  --frameworks <list>   comma-separated subset of ${[...FRAMEWORKS, ...GO_FRAMEWORKS].join(',')}
  --modes <list>        comma-separated subset of ${MODES.join(',')} (bare is always added;
                        the Go rows always run their own modes)
  --no-go               leave out the Go rows (${GO_FRAMEWORKS.join(', ')}); without a Go toolchain on
                        PATH they are left out with a note, unless OTEL_HTTP_REQUIRE_GO=1
  --out <dir>           where to write the reports (default results/, or results/raw/ with --quick)
  --label <name>        report file name (default node<major>, with -quick for quick runs)
  --no-pin              do not pin processes to CPUs with taskset
  --help`;

const args = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
const { values } = parseArgs({
  args,
  options: {
    quick: { type: 'boolean', default: false },
    node: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    frameworks: { type: 'string' },
    modes: { type: 'string' },
    out: { type: 'string' },
    label: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'no-go': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
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
 * @template {string} T
 * @param {string | undefined} text
 * @param {readonly T[]} all
 * @param {string} name
 * @returns {T[]}
 */
function subset(text, all, name) {
  if (text === undefined) return [...all];
  const chosen = text.split(',').map((s) => s.trim());
  const unknown = chosen.filter((s) => !all.some((a) => a === s));
  if (unknown.length > 0) throw new Error(`--${name}: unknown ${unknown.join(', ')}`);
  return all.filter((a) => chosen.includes(a));
}

const quick = values.quick;
const modes = subset(values.modes, MODES, 'modes');
if (!modes.includes('bare')) modes.unshift('bare');
const chosen = subset(values.frameworks, [...FRAMEWORKS, ...GO_FRAMEWORKS], 'frameworks');
const nodeFrameworks = FRAMEWORKS.filter((f) => chosen.includes(f));
let goFrameworks = values['no-go'] ? [] : GO_FRAMEWORKS.filter((f) => chosen.includes(f));

// The Go rows need the Go toolchain; they are optional unless CI says otherwise.
const requireGo = ['1', 'true'].includes(process.env.OTEL_HTTP_REQUIRE_GO ?? '');
/** @type {{ version: string, modules: Record<string, string> } | undefined} */
let go;
/** @type {string | undefined} */
let goServer;
if (goFrameworks.length > 0) {
  const build = buildGoServer();
  if (build.binary === undefined) {
    if (requireGo) {
      console.error(`OTEL_HTTP_REQUIRE_GO is set, and the Go rows cannot run: ${build.note}`);
      process.exit(1);
    }
    console.error(`Go rows: ${build.note}`);
    goFrameworks = [];
  } else {
    goServer = build.binary;
    go = { version: build.note, modules: goModuleVersions() };
  }
}

const config = {
  node: values.node ?? process.env.OTEL_HTTP_BENCH_NODE ?? process.execPath,
  frameworks: [...nodeFrameworks, ...goFrameworks],
  goServer,
  modes,
  rounds: Math.round(positive(values.rounds, quick ? 2 : 5, 'rounds')),
  warmupSeconds: positive(values.warmup, quick ? 0.5 : 2, 'warmup'),
  durationSeconds: positive(values.duration, quick ? 1 : 8, 'duration'),
  connections: Math.round(positive(values.connections, 50, 'connections')),
  serverCpu: /** @type {number | undefined} */ (undefined),
};
const pin = !values['no-pin'] && canPin() && os.availableParallelism() >= 2;
const pinning = pin ? { server: 1, load: 0 } : undefined;
config.serverCpu = pinning?.server;

checkBuiltPackages(nodeFrameworks);
const serverNodeVersion = nodeVersion(config.node);
// What is measured is fixed now: the commit and the build the servers will load.
const commit = gitCommit();
const build = builtAt(nodeFrameworks);

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = values.out ?? join(benchDir, quick ? 'results/raw' : 'results');
const startedAt = new Date();
const loadAverageAtStart = os.loadavg();

const load = await startLoadGenerator({ cpu: pinning?.load });
const started = performance.now();
let outcome;
try {
  outcome = await runMatrix(config, load, (run, done, total) => {
    const status = run.rejected.length === 0 ? 'ok' : `REJECTED: ${run.rejected.join('; ')}`;
    console.error(
      `[${done}/${total}] round ${run.round + 1} ${run.framework} ${run.mode}: ` +
        `${Math.round(run.requestsPerSecond)} req/s, ${run.cpuPerRequestUs.toFixed(1)} µs CPU/req, ` +
        `${run.spans.server} server spans, ${run.durationPoints} durations — ${status}`,
    );
  });
} finally {
  await load.stop();
}

const serverNode = outcome.serverNode ?? serverNodeVersion;
const foreignCpu = spread(outcome.runs.map((run) => run.foreignCpuShare));
const result = buildResult(
  {
    date: startedAt.toISOString(),
    quick,
    serverNode,
    harnessNode: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    pinning,
    protocol: {
      rounds: config.rounds,
      warmupSeconds: config.warmupSeconds,
      durationSeconds: config.durationSeconds,
      connections: config.connections,
    },
    loadAverage: { start: loadAverageAtStart, end: os.loadavg() },
    foreignCpu,
    packages: packageVersions(),
    commit,
    builtAt: build,
    ...(go === undefined ? {} : { go: { ...go, version: outcome.goVersion ?? go.version } }),
    warnings: [],
  },
  outcome.runs,
  config.frameworks,
  modesOf(config),
);
result.meta.warnings.push(...collectWarnings(result));
// Someone rebuilt the packages while the matrix ran: its rounds did not all measure the same code.
const rebuilt = builtAt(nodeFrameworks);
if (rebuilt !== build) {
  result.meta.warnings.push(rebuiltWarning(build, rebuilt));
}

const label =
  values.label ?? `node${serverNode.replace(/^v/, '').split('.')[0]}${quick ? '-quick' : ''}`;
mkdirSync(outDir, { recursive: true });
const markdown = renderMarkdown(result);
writeFileSync(join(outDir, `${label}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(outDir, `${label}.md`), markdown);
writeFileSync(join(outDir, `${label}.svg`), renderSvg(result));

console.log(markdown);
console.error(
  `Wrote ${join(outDir, label)}.{json,md,svg} in ${((performance.now() - started) / 1000).toFixed(0)} s.`,
);
const missing = result.summary.filter((cell) => cell.accepted === 0);
if (missing.length > 0) {
  console.error(
    `No accepted run for: ${missing.map((c) => `${c.framework}/${c.mode}`).join(', ')}`,
  );
  process.exitCode = 1;
}
