// What every published tarball must and must not contain. Pure functions over the file list (and,
// for source maps, the files' text), so that they can be tested with tables of cases.
import { posix } from 'node:path';

/** Test files and directories, whatever the test runner. */
const TEST_FILE = /(^|\/)(test|tests|__tests__|fixtures)\/|\.(test|spec)\.[cm]?[jt]sx?$/;
const LICENSE = /^LICEN[CS]E(\.md|\.txt)?$/i;
const README = /^README(\.md)?$/i;
const SOURCE_MAPPING_URL = /\/[/*][#@]\s*sourceMappingURL=([^\s*]+)/g;
const SCRIPT = /\.(?:[cm]?js|d\.[cm]?ts)$/;

/**
 * The file-list rules: a manifest, a licence, a README, built output, and no tests.
 * @param {string[]} files paths inside the package
 * @returns {string[]} one message per broken rule
 */
export function fileListProblems(files) {
  const problems = [];
  if (!files.includes('package.json')) problems.push('package.json is not in the tarball');
  if (!files.some((file) => LICENSE.test(file))) problems.push('no LICENSE in the tarball');
  if (!files.some((file) => README.test(file))) problems.push('no README.md in the tarball');
  if (!files.some((file) => file.startsWith('dist/'))) {
    problems.push('no dist/ in the tarball: run `pnpm build` first');
  }
  for (const file of files.filter((f) => TEST_FILE.test(f))) problems.push(`test file: ${file}`);
  return problems;
}

/** Resolves `target` against the directory of `from`; `undefined` when it leaves the package. */
function insidePackage(from, target) {
  const resolved = posix.normalize(posix.join(posix.dirname(from), target));
  return resolved.startsWith('../') || resolved === '..' || posix.isAbsolute(target)
    ? undefined
    : resolved;
}

/**
 * Source maps must stay inside the package: every `sourceMappingURL` of a script names a map in
 * the tarball (or is inline), and every source a map lists is a file of the tarball, not a path
 * into the repository it was built in.
 * @param {string[]} files paths inside the package
 * @param {(path: string) => string} read the text of one of them
 * @returns {string[]} one message per broken rule
 */
export function sourceMapProblems(files, read) {
  const problems = [];
  const present = new Set(files);
  for (const file of files.filter((f) => SCRIPT.test(f))) {
    for (const [, url] of read(file).matchAll(SOURCE_MAPPING_URL)) {
      if (url.startsWith('data:')) continue;
      const map = insidePackage(file, decodeURI(url));
      if (map === undefined)
        problems.push(`${file}: sourceMappingURL ${url} is outside the package`);
      else if (!present.has(map))
        problems.push(`${file}: sourceMappingURL ${url} is not in the tarball`);
    }
  }
  for (const file of files.filter((f) => f.endsWith('.map'))) {
    let map;
    try {
      map = JSON.parse(read(file));
    } catch (error) {
      problems.push(`${file}: not JSON (${error.message})`);
      continue;
    }
    const root = typeof map.sourceRoot === 'string' ? map.sourceRoot : '';
    for (const source of Array.isArray(map.sources) ? map.sources : []) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(root + source)) {
        problems.push(`${file}: source ${root}${source} is a URL, not a file of the package`);
        continue;
      }
      const resolved = insidePackage(file, posix.join(root, source));
      if (resolved === undefined) {
        problems.push(`${file}: source ${root}${source} points outside the package`);
      } else if (!present.has(resolved)) {
        problems.push(`${file}: source ${resolved} is not in the tarball`);
      }
    }
  }
  return problems;
}
