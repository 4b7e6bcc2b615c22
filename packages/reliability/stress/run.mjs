/**
 * The long reliability run: every scenario against core alone and the four adapters, each job in
 * a child process of its own (`node --expose-gc`, sources run through vite-node with the
 * workspace aliases), one after the other so that figures do not disturb each other. Writes the
 * figures to RELIABILITY.md at the repository root.
 *
 *   pnpm --filter @otel-http/reliability stress            full run (several minutes)
 *   pnpm --filter @otel-http/reliability stress --quick    reduced sizes, to check the script
 *   STRESS_ONLY=soak,cardinality …                         only these scenarios (report not written)
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, type as osType, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { renderReport } from './report.mjs';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const reportPath = fileURLToPath(new URL('../../../RELIABILITY.md', import.meta.url));
const viteNode = fileURLToPath(new URL('../node_modules/vite-node/vite-node.mjs', import.meta.url));
const quick = process.argv.includes('--quick');
const only = process.env.STRESS_ONLY?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const HTTP_TARGETS = ['node', 'express', 'fastify', 'hono', 'koa'];
const FETCH_PATHS = ['fetch:core', 'fetch:hono'];
const size = (full, reduced) => (quick ? reduced : full);

/** Every job of the run, in order. `size` means requests, runs or milliseconds per scenario. */
export const SCENARIOS = {
  corpus: [...HTTP_TARGETS, ...FETCH_PATHS].map((target) => ({ target, size: 0 })),
  fuzz: [...HTTP_TARGETS, ...FETCH_PATHS].map((target) => ({
    target,
    size: size(1_000, 60),
    seed: 20_240_917,
  })),
  cardinality: HTTP_TARGETS.map((target) => ({ target, size: size(10_000, 1_500), seed: 9 })),
  aborts: HTTP_TARGETS.map((target) => ({ target, size: size(1_000, 150), seed: 11 })),
  'collector-down': HTTP_TARGETS.map((target) => ({ target, size: size(20_000, 1_500) })),
  soak: [{ target: 'all', size: size(180_000, 8_000) }],
  secrets: HTTP_TARGETS.map((target) => ({ target, size: 0 })),
  edge: HTTP_TARGETS.map((target) => ({ target, size: size(1_000, 100) })),
  misbehaving: HTTP_TARGETS.map((target) => ({ target, size: 0 })),
  'finding-malformed-path': HTTP_TARGETS.map((target) => ({ target, size: size(1_000, 50) })),
  'finding-async-hooks': HTTP_TARGETS.map((target) => ({ target, size: size(1_000, 50) })),
  'finding-second-pass': HTTP_TARGETS.map((target) => ({ target, size: size(200, 20) })),
  'http2-cancels': ['node', 'fastify'].map((target) => ({
    target,
    size: size(2_000, 400),
    seed: 13,
  })),
};

/** Runs one job in a fresh process; resolves with its parsed result or its failure. */
function runJob(job, timeoutMs) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      ['--expose-gc', viteNode, '--config', 'stress/vite.config.ts', 'stress/job.ts'],
      {
        cwd: packageDir,
        env: { ...process.env, STRESS_JOB: JSON.stringify(job) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      const seconds = (Date.now() - started) / 1000;
      if (code === 0 && line) resolve({ ...job, seconds, result: JSON.parse(line.slice(7)) });
      else
        resolve({
          ...job,
          seconds,
          error: `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`,
        });
    });
  });
}

const startedAt = new Date();
const runs = {};
for (const [scenario, jobs] of Object.entries(SCENARIOS)) {
  if (only && !only.includes(scenario)) continue;
  runs[scenario] = [];
  for (const job of jobs) {
    const timeoutMs = scenario === 'soak' ? job.size + 120_000 : 600_000;
    process.stderr.write(`${scenario} · ${job.target} … `);
    const outcome = await runJob({ scenario, ...job }, timeoutMs);
    runs[scenario].push(outcome);
    process.stderr.write(
      outcome.error ? `FAILED (${outcome.error})\n` : `${outcome.seconds.toFixed(1)} s\n`,
    );
  }
}

const environment = {
  node: process.version,
  os: `${osType()} ${release()}`,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  memory: `${Math.round(totalmem() / 1024 ** 3)} GiB`,
  startedAt: startedAt.toISOString(),
  minutes: ((Date.now() - startedAt.getTime()) / 60_000).toFixed(1),
  quick,
};

if (only) {
  process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
  process.stderr.write('STRESS_ONLY set: RELIABILITY.md not written.\n');
} else {
  const report = renderReport(runs, environment, SCENARIOS);
  await writeFile(reportPath, report);
  process.stderr.write(`wrote ${reportPath}\n`);
  // Failed verdicts other than the known defects (pinned by `it.fails` tests) fail the run.
  const unexpected = report
    .split('\n')
    .flatMap((line) => line.split('|'))
    .filter((cell) => cell.includes('**FAIL**') && !cell.includes('known defect')).length;
  if (unexpected > 0) {
    process.stderr.write(`${unexpected} failed verdicts: see RELIABILITY.md\n`);
    process.exitCode = 1;
  }
}
const failed = Object.values(runs)
  .flat()
  .filter((run) => run.error).length;
if (failed > 0) process.exitCode = 1;
