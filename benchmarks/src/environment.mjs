// What the reports record about the software measured: package versions, the repository commit,
// and whether the otel-http packages the servers import are built and current.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_DIR = join(BENCH_DIR, '..');

/** The packages whose versions the reports list. */
const REPORTED_PACKAGES = [
  '@otel-http/core',
  'express',
  'fastify',
  'hono',
  '@hono/node-server',
  'koa',
  '@koa/router',
  '@opentelemetry/api',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/exporter-prometheus',
  '@opentelemetry/instrumentation-http',
  '@opentelemetry/instrumentation-express',
  '@opentelemetry/instrumentation-koa',
  '@fastify/otel',
  '@hono/otel',
  'autocannon',
];

/** @returns {Record<string, string>} */
export function packageVersions() {
  /** @type {Record<string, string>} */
  const versions = {};
  for (const name of REPORTED_PACKAGES) {
    try {
      const manifest = JSON.parse(
        readFileSync(join(BENCH_DIR, 'node_modules', name, 'package.json'), 'utf8'),
      );
      versions[name] = String(manifest.version);
    } catch {
      versions[name] = 'not installed';
    }
  }
  return versions;
}

/** The Go modules of the Go rows whose versions the report names, as `go.mod` requires them. */
const REPORTED_GO_MODULES = [
  'github.com/gin-gonic/gin',
  'github.com/labstack/echo/v4',
  'go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin',
  'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp',
  'go.opentelemetry.io/otel/sdk',
  'go.opentelemetry.io/otel/sdk/metric',
];

/**
 * The versions of the Go rows' modules, from `examples/go/go.mod`.
 *
 * @returns {Record<string, string>}
 */
export function goModuleVersions() {
  const goMod = readFileSync(join(REPO_DIR, 'examples', 'go', 'go.mod'), 'utf8');
  /** @type {Record<string, string>} */
  const versions = {};
  for (const name of REPORTED_GO_MODULES) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(\\S+)`, 'm').exec(goMod);
    versions[name] = match?.[1] ?? 'not required';
  }
  return versions;
}

/**
 * The version of a Node binary (`v24.1.0`); throws a readable error when it does not run, before
 * the matrix starts rather than as one failed server per cell.
 *
 * @param {string} binary
 */
export function nodeVersion(binary) {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  } catch (error) {
    throw new Error(
      `the server Node binary ${binary} does not run: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/** The short commit, with `+dirty` when the packages or the harness have uncommitted changes. */
export function gitCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_DIR,
      encoding: 'utf8',
    }).trim();
    const changes = execFileSync(
      'git',
      ['status', '--porcelain', '--untracked-files=no', '--', 'packages', 'benchmarks/src'],
      {
        cwd: REPO_DIR,
        encoding: 'utf8',
      },
    ).trim();
    return changes === '' ? commit : `${commit}+dirty`;
  } catch {
    return undefined;
  }
}

/**
 * @param {string} dir
 * @returns {number} The newest modification time of a file under `dir`.
 */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * When the otel-http packages the servers load were last built (the newest `dist/index.js`), as
 * an ISO date: with a shared working tree, the build may differ from the commit.
 *
 * @param {readonly string[]} frameworks
 */
export function builtAt(frameworks) {
  const times = ['core', ...frameworks].map(
    (name) => statSync(join(REPO_DIR, 'packages', name, 'dist', 'index.js')).mtimeMs,
  );
  return new Date(Math.max(...times)).toISOString();
}

/**
 * Throws when an otel-http package the servers load (core and the adapters of `frameworks`) has no
 * build; warns when its sources are newer than the build (the servers run plain Node on `dist/`,
 * not on the TypeScript sources).
 *
 * @param {readonly string[]} frameworks
 */
export function checkBuiltPackages(frameworks) {
  for (const name of ['core', ...frameworks]) {
    const dir = join(REPO_DIR, 'packages', name);
    const built = join(dir, 'dist', 'index.js');
    if (!existsSync(built)) {
      throw new Error(
        `packages/${name} is not built: run \`pnpm build\` (or \`pnpm --filter "./packages/*" build\`) first`,
      );
    }
    if (newestMtime(join(dir, 'src')) > statSync(built).mtimeMs) {
      console.error(
        `warning: packages/${name}/src is newer than its dist/: rebuild to measure the current code`,
      );
    }
  }
}
