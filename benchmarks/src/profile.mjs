// `pnpm --filter @otel-http/benchmarks profile <framework> <mode> [--duration s] [--node binary]`:
// one server under the benchmark's load with `node --cpu-prof`, then where its CPU time went.
// The profile is kept in results/raw/profiles/ for Chrome DevTools or speedscope.

import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkBuiltPackages } from './environment.mjs';
import { FRAMEWORKS, MODES, REQUEST_PATH } from './matrix.mjs';
import { canPin, startLoadGenerator, startServer } from './processes.mjs';
import { renderProfileSummary, summariseProfile } from './profile-summary.mjs';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    node: { type: 'string' },
  },
});
const [framework, mode] = positionals;
if (!FRAMEWORKS.some((f) => f === framework) || !MODES.some((m) => m === mode)) {
  console.error(
    `usage: profile <${FRAMEWORKS.join('|')}> <${MODES.join('|')}> [--duration s] [--node binary]`,
  );
  process.exit(2);
}
checkBuiltPackages([/** @type {string} */ (framework)]);

const dir = fileURLToPath(
  new URL(`../results/raw/profiles/${framework}-${mode}-${Date.now()}`, import.meta.url),
);
mkdirSync(dir, { recursive: true });
const pin = canPin();
const load = await startLoadGenerator({ cpu: pin ? 0 : undefined });
const server = await startServer({
  node: values.node ?? process.env.OTEL_HTTP_BENCH_NODE ?? process.execPath,
  framework: /** @type {string} */ (framework),
  mode: /** @type {string} */ (mode),
  cpu: pin ? 1 : undefined,
  nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
});
let requests = 0;
try {
  const job = {
    url: `http://127.0.0.1:${server.port}${REQUEST_PATH}`,
    connections: Number(values.connections),
  };
  const result = await load.run({ ...job, durationSeconds: Number(values.duration) });
  requests = (await server.counts()).handled;
  console.error(
    `${framework} ${mode} on Node ${server.node}: ${Math.round(result.requests / result.durationSeconds)} req/s`,
  );
} finally {
  await server.stop();
  await load.stop();
}

const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`no profile was written to ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
console.log(renderProfileSummary(summariseProfile(profile), requests));
console.error(`profile: ${join(dir, file)}`);
