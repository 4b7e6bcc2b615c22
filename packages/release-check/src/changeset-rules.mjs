// What `changeset version` must produce from the pending changesets, as pure functions: the version
// of every public package, its changelog section, and the ranges other packages then publish.
// The rules follow .changeset/config.json: `updateInternalDependencies: "patch"` (a package whose
// dependency is released is released too, at least as a patch) and private packages not versioned.

const BUMPS = ['patch', 'minor', 'major'];

/**
 * @typedef {object} Changeset
 * @property {string} file
 * @property {{ name: string, type: 'patch' | 'minor' | 'major' }[]} releases
 * @property {string} summary
 */

/**
 * Reads one changeset file: YAML front matter of `"<package>": <bump>` lines, then the summary.
 * @param {string} file its name, for messages
 * @param {string} text
 * @returns {Changeset}
 */
export function parseChangeset(file, text) {
  const match = /^---\r?\n([\s\S]*?)\r?\n?---\r?\n?([\s\S]*)$/.exec(text.trimStart());
  if (!match) throw new Error(`${file}: no front matter`);
  const releases = [];
  for (const line of match[1].split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const entry = /^\s*(["']?)([^"':]+)\1\s*:\s*(patch|minor|major)\s*$/.exec(line);
    if (!entry) throw new Error(`${file}: cannot read front matter line ${JSON.stringify(line)}`);
    releases.push({ name: entry[2], type: /** @type {any} */ (entry[3]) });
  }
  return { file, releases, summary: match[2].trim() };
}

/** The next version after a `patch`, `minor` or `major` change. */
export function bump(version, type) {
  const parts = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!parts) throw new Error(`cannot bump the version ${version}`);
  const [major, minor, patch] = parts.slice(1).map(Number);
  if (type === 'major') return `${major + 1}.0.0`;
  if (type === 'minor') return `${major}.${minor + 1}.0`;
  if (type === 'patch') return `${major}.${minor}.${patch + 1}`;
  throw new Error(`unknown bump ${type}`);
}

/**
 * @typedef {object} PlannedRelease
 * @property {string} from version before
 * @property {string} to version after
 * @property {'patch' | 'minor' | 'major'} type
 * @property {string[]} summaries changeset summaries for its changelog
 * @property {string[]} dependencies released workspace dependencies that bumped it
 */

/**
 * The releases the changesets call for.
 * @param {{ name: string, version: string, dependsOn: string[] }[]} packages the public packages;
 *   `dependsOn`: the workspace packages in its `dependencies` and `optionalDependencies`
 * @param {Changeset[]} changesets
 * @returns {Map<string, PlannedRelease>}
 */
export function planReleases(packages, changesets) {
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
  /** @type {Map<string, { type: PlannedRelease['type'], summaries: string[], dependencies: string[] }>} */
  const planned = new Map();
  const raise = (name, type) => {
    const entry = planned.get(name) ?? { type, summaries: [], dependencies: [] };
    if (BUMPS.indexOf(type) > BUMPS.indexOf(entry.type)) entry.type = type;
    planned.set(name, entry);
    return entry;
  };
  for (const changeset of changesets) {
    for (const release of changeset.releases) {
      if (!byName.has(release.name)) {
        throw new Error(`${changeset.file}: ${release.name} is not a public workspace package`);
      }
      raise(release.name, release.type).summaries.push(changeset.summary);
    }
  }
  // Dependents of released packages are released too, transitively.
  let changed = true;
  while (changed) {
    changed = false;
    for (const pkg of packages) {
      for (const dependency of pkg.dependsOn.filter((name) => planned.has(name))) {
        const entry = planned.get(pkg.name) ?? raise(pkg.name, 'patch');
        if (!entry.dependencies.includes(dependency)) {
          entry.dependencies.push(dependency);
          changed = true;
        }
      }
    }
  }
  return new Map(
    [...planned].map(([name, entry]) => {
      const from = /** @type {{ version: string }} */ (byName.get(name)).version;
      return [name, { from, to: bump(from, entry.type), ...entry }];
    }),
  );
}

/**
 * The changelog `changeset version` wrote must open with the new version and carry the first line
 * of every changeset of the package, and name each released dependency with its new version.
 * @param {string} name
 * @param {PlannedRelease} release
 * @param {string | undefined} changelog the CHANGELOG.md text, if written
 * @param {Map<string, PlannedRelease>} releases every planned release
 * @returns {string[]}
 */
export function changelogProblems(name, release, changelog, releases) {
  if (changelog === undefined) return [`${name}: no CHANGELOG.md was written`];
  const problems = [];
  const firstSection = /^## (.+)$/m.exec(changelog)?.[1]?.trim();
  if (firstSection !== release.to) {
    problems.push(
      `${name}: CHANGELOG.md opens with ${firstSection ?? 'no version'}, not ${release.to}`,
    );
  }
  const section = changelog.split(/^## /m)[1] ?? '';
  for (const summary of release.summaries) {
    const firstLine = summary.split('\n')[0];
    if (!section.includes(firstLine)) {
      problems.push(`${name}: the ${release.to} section lacks "${firstLine.slice(0, 60)}…"`);
    }
  }
  for (const dependency of release.dependencies) {
    const expected = `${dependency}@${releases.get(dependency)?.to}`;
    if (!section.includes(expected))
      problems.push(`${name}: the ${release.to} section lacks ${expected}`);
  }
  return problems;
}

/**
 * In a packed manifest, every range on a workspace package must be the plain, caret or tilde form
 * of that package's version after the release, so that users install the released versions
 * together.
 * @param {Record<string, any>} manifest the package.json inside the tarball
 * @param {Map<string, string>} versions every public package's version after the release
 * @returns {string[]}
 */
export function internalRangeProblems(manifest, versions) {
  const problems = [];
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      const version = versions.get(name);
      if (version === undefined) continue;
      if (typeof range !== 'string' || range.startsWith('workspace:')) {
        problems.push(`${manifest.name}: ${field}.${name} is ${range} in the tarball`);
      } else if (range.replace(/^[\^~]/, '') !== version) {
        problems.push(`${manifest.name}: ${field}.${name} is ${range}, not ^${version}`);
      }
    }
  }
  return problems;
}
