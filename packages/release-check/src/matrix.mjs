// The compatibility matrix, proven from the packed tarballs the way a user gets them: an empty
// project outside the repository, plain `npm install` of the tarballs next to a framework, the
// OpenTelemetry API and SDK from the registry, then the project's tests (fixtures/installed) on
// each Node version. One project per framework set and SDK line, shared by every adapter.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack } from './pack.mjs';
import { publicPackages } from './workspace.mjs';

const FIXTURES = fileURLToPath(new URL('../fixtures/installed/', import.meta.url));
const ADAPTERS = ['express', 'fastify', 'hono', 'koa'];

/**
 * The framework sets: the newest release of every framework, and the oldest each adapter's peer
 * range admits (Express 4.21, Koa 2, Fastify 5.0, Hono 4.8 with `@hono/node-server` 1).
 */
export const FRAMEWORKS = {
  newest: {
    express: '5.3.0',
    '@types/express': '5.0.6',
    fastify: '5.12.8',
    hono: '4.13.19',
    '@hono/node-server': '2.1.8',
    koa: '3.3.0',
    '@types/koa': '3.0.3',
    '@koa/router': '15.7.0',
  },
  oldest: {
    express: '4.21.2',
    '@types/express': '4.17.25',
    fastify: '5.0.0',
    hono: '4.8.12',
    '@hono/node-server': '1.19.19',
    koa: '2.16.4',
    '@types/koa': '2.15.2',
    '@koa/router': '15.7.0',
  },
};

/** The OpenTelemetry lines. SDK 3 needs Node >= 22.15 and API 1.10. */
export const SDKS = {
  sdk2: {
    '@opentelemetry/api': '1.9.1',
    '@opentelemetry/context-async-hooks': '2.12.0',
    '@opentelemetry/sdk-metrics': '2.12.1',
    '@opentelemetry/sdk-trace': '2.12.1',
  },
  sdk3: {
    '@opentelemetry/api': '1.10.0',
    '@opentelemetry/context-async-hooks': '3.1.1',
    '@opentelemetry/sdk-metrics': '3.1.1',
    '@opentelemetry/sdk-trace': '3.1.1',
  },
};

/** What every project installs to run its tests: TypeScript 5 and 7 side by side. */
const TOOLS = {
  '@types/node': '20.19.43',
  typescript: '5.9.3',
  'typescript-7': 'npm:typescript@7.0.2',
  vitest: '3.2.7',
};
/** The compilers fixtures/installed/test/typescript.test.mjs runs: version -> package. */
const COMPILERS = { '5.9.3': 'typescript', '7.0.2': 'typescript-7' };

/** The OpenTelemetry API range the READMEs' install lines name (what SDK 2 runs on). */
const README_API = '@opentelemetry/api@~1.9.0';

/**
 * The projects. `conformance`: the conformance suite runs against each installed adapter (it
 * brings SDK 2 itself, so only next to SDK 2). `node`: `@otel-http/node`, which wires SDK 2.
 *
 * A project with `steps` is a plain-npm cell instead: no package.json dependencies, but one
 * `npm install` per step in the order the READMEs give (`core`, `hono`, `node`: that tarball), then
 * the npm tree and the TypeScript checks of `types-npm/` only, without `@types/node`.
 */
export const PROJECTS = [
  {
    id: 'newest-sdk2',
    frameworks: 'newest',
    sdk: 'sdk2',
    conformance: true,
    node: true,
    runtimes: [20, 24],
  },
  {
    id: 'oldest-sdk2',
    frameworks: 'oldest',
    sdk: 'sdk2',
    conformance: true,
    node: false,
    runtimes: [20, 24],
  },
  {
    id: 'newest-sdk3',
    frameworks: 'newest',
    sdk: 'sdk3',
    conformance: false,
    node: false,
    runtimes: [24],
  },
  {
    // The Hono row of the root README, then "add an SDK: npm install @otel-http/node".
    id: 'npm-readme-order',
    steps: [
      ['core', 'hono', README_API, 'hono@4.13.19', '@hono/node-server@2.1.8'],
      ['core', 'node'],
      ['-D', 'typescript@5.9.3', 'typescript-7@npm:typescript@7.0.2', 'vitest@3.2.7'],
    ],
    singleCopies: true,
    runtimes: [20, 24],
  },
  {
    // As above, then the user's own exporter, reader, processor and sampler packages, at other
    // patch releases than the SDK @otel-http/node pins: their objects come from other copies.
    id: 'npm-user-sdk-objects',
    steps: [
      ['core', 'hono', README_API, 'hono@4.13.19', '@hono/node-server@2.1.8'],
      ['core', 'node'],
      [
        '@opentelemetry/exporter-prometheus@0.223.0',
        '@opentelemetry/exporter-trace-otlp-proto@0.223.1',
        '@opentelemetry/sdk-metrics@2.12.1',
        '@opentelemetry/sdk-trace-base@2.12.1',
      ],
      ['-D', 'typescript@5.9.3', 'typescript-7@npm:typescript@7.0.2', 'vitest@3.2.7'],
    ],
    singleCopies: false,
    runtimes: [20, 24],
  },
];

/** The npm CLI script of the npm on PATH, so that it can run under any Node binary. */
function npmCli() {
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' });
  if (which.status !== 0) throw new Error('npm is not on PATH');
  return realpathSync(which.stdout.trim());
}

function nodeMajor(binary) {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${binary} --version failed`);
  return Number.parseInt(result.stdout.trim().slice(1), 10);
}

/** The tarballs of the public packages in `directory`, by package name. */
function tarballsIn(directory) {
  return new Map(
    publicPackages()
      .map(({ manifest }) => [manifest.name, join(directory, tarballName(manifest))])
      .filter(([, path]) => existsSync(path)),
  );
}

/** The file name `pnpm pack` gives a package's tarball. */
function tarballName({ name, version }) {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

/** Files of fixtures/installed a plain-npm project uses. */
const PLAIN_NPM_FIXTURES =
  /^(?:installed|test|types-npm|vitest\.config\.mjs|npm-tree\.test\.mjs|typescript\.test\.mjs)$/;

/** Writes a plain-npm project: an empty package.json, cell.json and its fixtures. */
function writePlainProject(directory, project) {
  const manifest = { name: `otel-http-installed-${project.id}`, private: true, type: 'module' };
  writeFileSync(join(directory, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const cell = {
    id: project.id,
    typesDir: 'types-npm',
    typesNode: false,
    singleCopies: project.singleCopies,
    compilers: COMPILERS,
  };
  writeFileSync(join(directory, 'cell.json'), `${JSON.stringify(cell)}\n`);
  cpSync(FIXTURES, directory, {
    recursive: true,
    filter: (source) => {
      const name = basename(source);
      if (source.includes('/types-npm/')) return true;
      return PLAIN_NPM_FIXTURES.test(name);
    },
  });
  writeFileSync(join(directory, 'install.log'), '');
}

/** Runs the project's `npm install` lines one after the other; npm's output goes to install.log. */
function installSteps(directory, project, tarballs, nodeBinary) {
  const log = [];
  for (const step of project.steps) {
    const specs = step.map((spec) => {
      const tarball = tarballs.get(`@otel-http/${spec}`);
      return tarball ?? spec;
    });
    const args = [npmCli(), 'install', '--no-audit', '--no-fund', '--prefer-offline', ...specs];
    console.log(`npm install ${step.join(' ')}`);
    const result = spawnSync(nodeBinary, args, { cwd: directory, encoding: 'utf8' });
    log.push(`$ npm install ${step.join(' ')}`, result.stdout, result.stderr);
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    if (result.status !== 0) return false;
  }
  writeFileSync(join(directory, 'install.log'), `${log.join('\n')}\n`);
  return true;
}

/** Writes the project: package.json, cell.json and the fixtures it needs. */
function writeProject(directory, project, tarballs) {
  const wanted = ['@otel-http/core', ...ADAPTERS.map((a) => `@otel-http/${a}`)];
  if (project.node) wanted.push('@otel-http/node');
  if (project.conformance) wanted.push('@otel-http/conformance');
  const dependencies = { ...FRAMEWORKS[project.frameworks], ...SDKS[project.sdk], ...TOOLS };
  for (const name of wanted) {
    const tarball = tarballs.get(name);
    if (!tarball) throw new Error(`no tarball for ${name}`);
    dependencies[name] = `file:${tarball}`;
  }
  const manifest = { name: `otel-http-installed-${project.id}`, private: true, type: 'module' };
  writeFileSync(
    join(directory, 'package.json'),
    `${JSON.stringify({ ...manifest, dependencies }, null, 2)}\n`,
  );
  const cell = {
    id: project.id,
    adapters: ADAPTERS,
    node: project.node,
    typesDir: 'types',
    typesNode: true,
    compilers: COMPILERS,
  };
  writeFileSync(join(directory, 'cell.json'), `${JSON.stringify(cell)}\n`);

  const needed = (source) => {
    const name = basename(source);
    if (source.includes('/types-npm') || name === 'npm-tree.test.mjs') return false;
    if (name.startsWith('conformance-')) return project.conformance;
    if (/^node\.(?:mjs|cjs|ts)$/.test(name)) return project.node;
    return true;
  };
  cpSync(FIXTURES, directory, { recursive: true, filter: needed });
}

function install(directory, nodeBinary) {
  const args = [
    npmCli(),
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    '--loglevel=error',
  ];
  const result = spawnSync(nodeBinary, args, { cwd: directory, stdio: 'inherit' });
  return result.status === 0;
}

/** Runs the project's tests with Vitest under one Node binary. */
function runTests(directory, nodeBinary, reportFile) {
  const vitest = join(directory, 'node_modules', 'vitest', 'vitest.mjs');
  const args = [vitest, 'run', '--reporter=default'];
  if (reportFile) args.push('--reporter=json', `--outputFile.json=${reportFile}`);
  const result = spawnSync(nodeBinary, args, { cwd: directory, stdio: 'inherit' });
  return result.status === 0;
}

/**
 * Packs the packages unless tarballs are given, builds every project once, and runs it under each
 * Node binary its runtimes include.
 * @param {{ packs?: string, nodes: string[], reports?: string, only?: string[], keep?: boolean }} options
 * @returns {Promise<boolean>}
 */
export async function runMatrix({ packs, nodes, reports, only, keep = false }) {
  const scratch = mkdtempSync(join(tmpdir(), 'otel-http-matrix-'));
  const packDir = packs ?? join(scratch, 'packs');
  if (!packs) for (const pkg of publicPackages()) pack(pkg, packDir);
  const tarballs = tarballsIn(packDir);
  if (reports) mkdirSync(reports, { recursive: true });

  const runtimes = nodes.map((binary) => ({ binary, major: nodeMajor(binary) }));
  const results = [];
  try {
    for (const project of PROJECTS.filter((p) => !only?.length || only.includes(p.id))) {
      const mine = runtimes.filter(({ major }) => project.runtimes.includes(major));
      if (mine.length === 0) {
        results.push(`${project.id}: skipped, needs Node ${project.runtimes.join(' or ')}`);
        continue;
      }
      const directory = join(scratch, project.id);
      mkdirSync(directory);
      if (project.steps) writePlainProject(directory, project);
      else writeProject(directory, project, tarballs);
      console.log(`\n==> ${project.id}: npm install in ${directory} (Node ${mine[0].major})`);
      const started = Date.now();
      const installed = project.steps
        ? installSteps(directory, project, tarballs, mine[0].binary)
        : install(directory, mine[0].binary);
      if (!installed) {
        results.push(`${project.id}: FAILED npm install`);
        continue;
      }
      results.push(`${project.id}: installed in ${Math.round((Date.now() - started) / 1000)} s`);
      for (const { binary, major } of mine) {
        const label = `installed-${project.id}-node${major}`;
        console.log(`\n==> ${label}`);
        const began = Date.now();
        const reportFile = reports && join(reports, `${label}.json`);
        const ok = runTests(directory, binary, reportFile);
        const seconds = Math.round((Date.now() - began) / 1000);
        results.push(`${label}: ${ok ? 'ok' : 'FAILED'} (${seconds} s)`);
      }
    }
  } finally {
    if (keep) console.log(`\nprojects kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`\ncompatibility matrix:\n  ${results.join('\n  ')}`);
  return !results.some((line) => line.includes('FAILED'));
}
