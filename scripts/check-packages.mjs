#!/usr/bin/env node
// Packs every publishable workspace package exactly as `pnpm publish` would (workspace ranges
// rewritten, `prepack` run, `files` applied) and checks the tarball, not the source tree:
//   - publint (strict: warnings fail too) for the package.json / exports map / file formats;
//   - @arethetypeswrong/cli for the types every resolution mode sees (ESM and CommonJS);
//   - the file list: a licence and package.json in each, built output present, no tests.
// Run after `pnpm build`. Usage: node scripts/check-packages.mjs [package-dir-name ...]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = fileURLToPath(new URL('..', import.meta.url));
const attwBin = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');

// The packages support Node >= 20 only, so the pre-`exports` "node10" resolution is not checked;
// every other mode (node16 ESM and CommonJS, bundler) is.
const ATTW_PROFILE = 'node16';

const TEST_FILE = /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]s$/;

function libraryPackages(filter) {
  const dir = join(root, 'packages');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'package.json')))
    .map((entry) => {
      const pkgDir = join(dir, entry.name);
      const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
      return { dirName: entry.name, pkgDir, manifest };
    })
    .filter(({ manifest }) => manifest.private !== true)
    .filter(
      ({ dirName, manifest }) =>
        filter.length === 0 || filter.includes(dirName) || filter.includes(manifest.name),
    )
    .sort((a, b) => a.dirName.localeCompare(b.dirName));
}

/** `pnpm pack --json` may print lifecycle-script output before the JSON document. */
function parsePackJson(stdout) {
  const start = stdout.indexOf('{\n');
  if (start === -1) throw new Error(`no JSON in pnpm pack output:\n${stdout}`);
  return JSON.parse(stdout.slice(start));
}

function pack(pkgDir, destination) {
  const result = spawnSync('pnpm', ['pack', '--json', '--pack-destination', destination], {
    cwd: pkgDir,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`pnpm pack failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  const report = parsePackJson(result.stdout);
  const files = report.files.map((file) => file.path);
  return { tarball: report.filename, files };
}

function checkFileList(files) {
  const errors = [];
  const warnings = [];
  if (!files.includes('package.json')) errors.push('package.json is not in the tarball');
  if (!files.some((file) => /^LICEN[CS]E(\.md|\.txt)?$/i.test(file))) {
    errors.push('no LICENSE in the tarball (the prepack script copies it from the root)');
  }
  if (!files.some((file) => file.startsWith('dist/'))) {
    errors.push('no dist/ in the tarball: run `pnpm build` first');
  }
  for (const file of files.filter((f) => TEST_FILE.test(f)))
    errors.push(`test file packed: ${file}`);
  if (!files.some((file) => /^README(\.md)?$/i.test(file)))
    warnings.push('no README.md in the tarball');
  return { errors, warnings };
}

async function runPublint(tarballPath) {
  const bytes = readFileSync(tarballPath);
  const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const { messages, pkg } = await publint({ pack: { tarball }, strict: true });
  const format = (message) => `${message.type}: ${formatMessage(message, pkg, { color: false })}`;
  return {
    errors: messages.filter((m) => m.type === 'error').map(format),
    notes: messages.filter((m) => m.type !== 'error').map(format),
  };
}

function runAttw(tarballPath) {
  const result = spawnSync(
    process.execPath,
    [
      attwBin,
      tarballPath,
      '--profile',
      ATTW_PROFILE,
      '--format',
      'table',
      '--no-emoji',
      '--no-color',
    ],
    { encoding: 'utf8' },
  );
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

async function checkPackage({ pkgDir, manifest }, destination) {
  const problems = [];
  const notes = [];
  if (!existsSync(join(pkgDir, 'dist'))) {
    return { problems: [`${pkgDir}/dist does not exist: run \`pnpm build\` first`], notes };
  }

  const { tarball, files } = pack(pkgDir, destination);
  const list = checkFileList(files);
  problems.push(...list.errors);
  notes.push(...list.warnings, `${files.length} files: ${files.join(', ')}`);

  const lint = await runPublint(tarball);
  problems.push(...lint.errors.map((e) => `publint ${e}`));
  notes.push(...lint.notes.map((n) => `publint ${n}`));

  const types = runAttw(tarball);
  if (!types.ok) problems.push(`attw (profile ${ATTW_PROFILE}) found problems:\n${types.output}`);
  else notes.push(`attw (profile ${ATTW_PROFILE}): no problems`);

  return { name: manifest.name, problems, notes };
}

async function main() {
  const packages = libraryPackages(process.argv.slice(2));
  if (packages.length === 0) {
    console.error('check-packages: no publishable package matched');
    process.exit(1);
  }
  const destination = mkdtempSync(join(tmpdir(), 'otel-http-pack-'));
  const results = [];
  try {
    for (const pkg of packages) {
      let result;
      try {
        result = await checkPackage(pkg, destination);
      } catch (error) {
        result = { problems: [String(error?.stack ?? error)], notes: [] };
      }
      result.name = pkg.manifest.name;
      results.push(result);
      console.log(`\n${result.problems.length === 0 ? 'ok  ' : 'FAIL'} ${result.name}`);
      for (const note of result.notes) console.log(`     ${note}`);
      for (const problem of result.problems)
        console.log(`  !  ${problem.replaceAll('\n', '\n     ')}`);
    }
  } finally {
    rmSync(destination, { recursive: true, force: true });
  }

  const failed = results.filter((r) => r.problems.length > 0);
  console.log(
    `\ncheck-packages: ${results.length - failed.length} of ${results.length} packages ok` +
      (failed.length > 0 ? `; failing: ${failed.map((r) => r.name).join(', ')}` : ''),
  );
  process.exit(failed.length > 0 ? 1 : 0);
}

await main();
