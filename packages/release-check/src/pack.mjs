// Packs packages exactly as `pnpm publish` would (workspace ranges rewritten, `prepack` run,
// `files` applied) and reads the tarballs back.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {object} PackedPackage
 * @property {string} name
 * @property {string} version
 * @property {string} dirName directory name under `packages/`
 * @property {string} tarball absolute path of the `.tgz`
 * @property {string[]} files paths inside the package, as the tarball lists them
 */

/** `pnpm pack --json` may print lifecycle-script output before the JSON document. */
function parsePackJson(stdout) {
  const start = stdout.indexOf('{\n');
  if (start === -1) throw new Error(`no JSON in pnpm pack output:\n${stdout}`);
  return JSON.parse(stdout.slice(start));
}

/**
 * Packs one package directory into `destination`.
 * @param {import('./workspace.mjs').WorkspacePackage} pkg
 * @param {string} destination
 * @returns {PackedPackage}
 */
export function pack(pkg, destination) {
  mkdirSync(destination, { recursive: true });
  const result = spawnSync('pnpm', ['pack', '--json', '--pack-destination', destination], {
    cwd: pkg.dir,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(
      `pnpm pack failed in ${pkg.dir} (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  const report = parsePackJson(result.stdout);
  return {
    name: report.name,
    version: report.version,
    dirName: pkg.dirName,
    tarball: report.filename,
    files: report.files.map((file) => file.path).sort(),
  };
}

/**
 * Unpacks a tarball into `directory` (its files end up under `directory/package/`).
 * @returns {string} the unpacked package root
 */
export function unpack(tarball, directory) {
  mkdirSync(directory, { recursive: true });
  const result = spawnSync('tar', ['-xzf', tarball, '-C', directory], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tar -xzf ${tarball} failed: ${result.stderr}`);
  return join(directory, 'package');
}

/** The package.json inside an unpacked tarball. */
export function packedManifest(packageRoot) {
  return JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
}
