// The workspace as a release sees it: where the root is, and which packages get published.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * @typedef {object} WorkspacePackage
 * @property {string} dirName directory name under `packages/`
 * @property {string} dir absolute directory
 * @property {Record<string, any>} manifest its package.json
 */

/**
 * The publishable packages (every `packages/*` without `"private": true`), sorted by directory.
 * @param {string} [root] a copy of the repository to read instead of this one
 * @param {string[]} [only] directory or package names to keep; all when empty
 * @returns {WorkspacePackage[]}
 */
export function publicPackages(root = ROOT, only = []) {
  const packagesDir = join(root, 'packages');
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(packagesDir, entry.name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({
      dirName: dir.slice(packagesDir.length + 1),
      dir,
      manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')),
    }))
    .filter(({ manifest }) => manifest.private !== true)
    .filter(
      ({ dirName, manifest }) =>
        only.length === 0 || only.includes(dirName) || only.includes(manifest.name),
    )
    .sort((a, b) => a.dirName.localeCompare(b.dirName));
}
