// Checks packed tarballs, not the source tree:
//   - publint (strict: warnings fail too) for the package.json, the exports map and file formats;
//   - Are the Types Wrong for the types every resolution mode sees (ESM and CommonJS);
//   - the file list and the source maps (file-rules.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { fileListProblems, sourceMapProblems } from './file-rules.mjs';
import { unpack } from './pack.mjs';

const require = createRequire(import.meta.url);
const attwBin = join(require.resolve('@arethetypeswrong/cli/package.json'), '..', 'dist/index.js');

// The packages support Node >= 20 only, so the pre-`exports` "node10" resolution is not checked;
// every other mode (node16 ESM and CommonJS, bundler) is.
const ATTW_PROFILE = 'node16';

/**
 * @typedef {object} PackageReport
 * @property {string} name
 * @property {string[]} problems
 * @property {string[]} notes
 */

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
  const args = [attwBin, tarballPath, '--profile', ATTW_PROFILE, '--format', 'table'];
  const result = spawnSync(process.execPath, [...args, '--no-emoji', '--no-color'], {
    encoding: 'utf8',
  });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

/**
 * Every check of one packed package.
 * @param {import('./pack.mjs').PackedPackage} packed
 * @returns {Promise<PackageReport>}
 */
export async function checkPackedPackage(packed) {
  const problems = [...fileListProblems(packed.files)];
  const notes = [`${packed.files.length} files: ${packed.files.join(', ')}`];

  const scratch = mkdtempSync(join(tmpdir(), 'otel-http-unpacked-'));
  try {
    const root = unpack(packed.tarball, scratch);
    problems.push(
      ...sourceMapProblems(packed.files, (file) => readFileSync(join(root, file), 'utf8')),
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const lint = await runPublint(packed.tarball);
  problems.push(...lint.errors.map((e) => `publint ${e}`));
  notes.push(...lint.notes.map((n) => `publint ${n}`));

  const types = runAttw(packed.tarball);
  if (types.ok) notes.push(`attw (profile ${ATTW_PROFILE}): no problems`);
  else problems.push(`attw (profile ${ATTW_PROFILE}) found problems:\n${types.output}`);

  return { name: packed.name, problems, notes };
}

/**
 * Prints one block per package and a summary line.
 * @param {PackageReport[]} reports
 * @param {string} title
 * @returns {boolean} whether every package passed
 */
export function printReports(reports, title) {
  for (const report of reports) {
    console.log(`\n${report.problems.length === 0 ? 'ok  ' : 'FAIL'} ${report.name}`);
    for (const note of report.notes) console.log(`     ${note}`);
    for (const problem of report.problems) {
      console.log(`  !  ${problem.replaceAll('\n', '\n     ')}`);
    }
  }
  const failed = reports.filter((r) => r.problems.length > 0);
  console.log(
    `\n${title}: ${reports.length - failed.length} of ${reports.length} packages ok` +
      (failed.length > 0 ? `; failing: ${failed.map((r) => r.name).join(', ')}` : ''),
  );
  return failed.length === 0;
}
