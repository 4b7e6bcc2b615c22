// The runtime tables: the conformance suite on Bun and Deno (packages/runtimes), the workerd,
// Deno OpenTelemetry and NestJS rows, read from the reports of a test run: the Vitest JSON
// reports (`node<major>.json`, any `node*.json`) and the runners' own reports
// (`runtimes/runtime-<runtime>-<server>.json`), which keep the listed exceptions. The tables go
// between marker comments in README.md and docs/conformance.md.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RUNTIME_REPORT = /^runtime-(bun|deno)-(.+)\.json$/;
const START = '<!-- runtime-table:start -->';
const END = '<!-- runtime-table:end -->';

/** The rows of the summary: the adapter and the server, and which runner report feeds each runtime. */
const ROWS = [
  { label: 'Express', node: 'express 5', runner: 'express' },
  { label: 'Fastify', node: 'fastify', runner: 'fastify' },
  { label: 'Hono on the runtime’s own server', runner: 'hono' },
  { label: 'Hono with `@hono/node-server`', node: 'hono', runner: 'hono-node-server' },
  { label: 'Koa', node: 'koa', runner: 'koa' },
];
const RUNTIMES = [
  { key: 'bun', title: 'Bun' },
  { key: 'deno', title: 'Deno' },
];

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/**
 * Reads a reports directory.
 * @returns {{ runs: any[], suites: Map<string, { passed: number, failed: number, skipped: number }> }}
 *   the runner reports, and every Vitest describe block by its outermost title
 */
export function readRuntimeRuns(directory) {
  const runs = [];
  const runtimesDir = join(directory, 'runtimes');
  if (existsSync(runtimesDir)) {
    for (const file of readdirSync(runtimesDir).sort()) {
      const match = RUNTIME_REPORT.exec(file);
      if (match) runs.push({ key: match[2], ...readJson(join(runtimesDir, file)) });
    }
  }
  const suites = new Map();
  for (const file of readdirSync(directory).sort()) {
    if (!/^node.*\.json$/.test(file)) continue;
    for (const testFile of readJson(join(directory, file)).testResults ?? []) {
      for (const test of testFile.assertionResults ?? []) {
        const title = test.ancestorTitles?.[0];
        if (!title) continue;
        const counts = suites.get(title) ?? { passed: 0, failed: 0, skipped: 0 };
        if (test.status === 'passed') counts.passed++;
        else if (test.status === 'failed') counts.failed++;
        else counts.skipped++;
        suites.set(title, counts);
      }
    }
  }
  return { runs, suites };
}

/** What a runner report says of one check: ✓, exception or fail. */
function verdict(run, result) {
  if (result.status === 'passed') return '✓';
  return run.exceptions?.[result.title.split(': ')[0]] === undefined ? 'fail' : 'exception';
}

function summary(run) {
  const verdicts = run.results.map((result) => verdict(run, result));
  const passed = verdicts.filter((v) => v === '✓').length;
  const exceptions = verdicts.filter((v) => v === 'exception').length;
  const failed = verdicts.filter((v) => v === 'fail').length;
  const notes = [
    exceptions && `${exceptions} exception${exceptions === 1 ? '' : 's'}`,
    failed && `${failed} failed`,
  ].filter(Boolean);
  return `${passed} of ${verdicts.length}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

function counted(counts) {
  if (!counts) return '—';
  const ran = counts.passed + counts.failed;
  if (ran === 0) return `skipped (${counts.skipped})`;
  return `${counts.passed} of ${ran}${counts.failed ? ` (${counts.failed} failed)` : ''}`;
}

function suiteStartingWith(suites, prefix) {
  const title = [...suites.keys()].find((key) => key.startsWith(prefix));
  return title === undefined ? undefined : suites.get(title);
}

/** The README's table: one row per adapter and server, one column per runtime. */
export function renderRuntimeSummary({ runs, suites }) {
  const runOf = (runtime, server) =>
    runs.find((run) => run.runtime === runtime && run.key === server);
  const version = (runtime) => runs.find((run) => run.runtime === runtime)?.version ?? '';
  const nodeSuite = (name) => suiteStartingWith(suites, `otel-http conformance: ${name}`);
  const header = [
    'Adapter, server',
    'Node',
    ...RUNTIMES.map((r) => `${r.title} ${version(r.key)}`),
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...ROWS.map((row) => {
      const node = row.node ? counted(nodeSuite(row.node)) : 'n/a';
      const cells = RUNTIMES.map((runtime) => {
        const run = runOf(runtime.key, row.runner);
        return run ? summary(run) : '—';
      });
      return `| ${row.label} | ${node} | ${cells.join(' | ')} |`;
    }),
  ];
  const extra = [
    ['Hono on Cloudflare workerd (`nodejs_compat`)', 'Hono on Cloudflare'],
    ['Hono on Deno.serve with `OTEL_DENO=true`', 'Hono on Deno.serve with Deno'],
    [
      'Hono WebSocket sessions on Bun.serve (`traceUpgradeWebSocket`)',
      'otel-http WebSocket sessions: hono (Bun.serve',
    ],
    [
      'Hono WebSocket sessions on Deno.serve (`traceUpgradeWebSocket`)',
      'otel-http WebSocket sessions: hono (Deno.serve',
    ],
    [
      'NestJS, `@nestjs/platform-express` (one known gap, below)',
      'NestJS on @nestjs/platform-express',
    ],
    ['NestJS, `@nestjs/platform-fastify`', 'NestJS on @nestjs/platform-fastify'],
  ];
  lines.push(
    '',
    '| Also tested | Title of the run | Tests |',
    '| --- | --- | --- |',
    ...extra.map(([label, prefix]) => {
      const title = [...suites.keys()].find((key) => key.startsWith(prefix)) ?? prefix;
      return `| ${label} | ${title} | ${counted(suites.get(title))} |`;
    }),
  );
  return lines.join('\n');
}

/** docs/conformance.md's table: every check, one column per runtime and server. */
export function renderRuntimeChecks({ runs }) {
  const columns = RUNTIMES.flatMap((runtime) =>
    runs
      .filter((run) => run.runtime === runtime.key)
      .map((run) => ({ name: `${run.server} on ${runtime.title} ${run.version}`, run })),
  );
  if (columns.length === 0) return 'No runtime reports.';
  const ids = columns[0].run.results.map((result) => result.title);
  const cellOf = (run, title) => {
    const result = run.results.find((r) => r.title === title);
    return result ? verdict(run, result) : '—';
  };
  const exceptions = columns.flatMap(({ name, run }) =>
    Object.entries(run.exceptions ?? {}).map(([id, reason]) => `- ${name}, \`${id}\`: ${reason}`),
  );
  const header = columns.map((c) => c.name.replaceAll('|', '\\|'));
  return [
    `| check | ${header.join(' | ')} |`,
    `| --- | ${header.map(() => ':---:').join(' | ')} |`,
    ...ids.map((title) => {
      const [id, ...rest] = title.split(': ');
      return `| \`${id}\` ${rest.join(': ').replaceAll('|', '\\|')} | ${columns
        .map(({ run }) => cellOf(run, title))
        .join(' | ')} |`;
    }),
    '',
    'Exceptions, with the reason each is listed:',
    '',
    ...(exceptions.length ? exceptions : ['- none']),
  ].join('\n');
}

/** Puts `block` between the markers of `file`, adding them at the end when absent. */
export function replaceBlock(file, block, heading) {
  const text = readFileSync(file, 'utf8');
  const generated = `${START}\n${block}\n${END}`;
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  const next =
    start !== -1 && end > start
      ? `${text.slice(0, start)}${generated}${text.slice(end + END.length)}`
      : `${text.trimEnd()}\n\n${heading}\n\n${generated}\n`;
  writeFileSync(file, next);
}
