// The release, rehearsed in a throwaway copy of the workspace: `changeset version` consumes the
// pending changesets there, the result is checked against what they call for, and every package
// is packed and put through `npm publish --dry-run`. The real tree is only read.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import {
  changelogProblems,
  internalRangeProblems,
  parseChangeset,
  planReleases,
} from './changeset-rules.mjs';
import { printReports } from './check-packages.mjs';
import { fileListProblems, sourceMapProblems } from './file-rules.mjs';
import { pack, packedManifest, unpack } from './pack.mjs';
import { publicPackages, ROOT } from './workspace.mjs';

const changesetBin = createRequire(join(ROOT, 'package.json')).resolve('@changesets/cli/bin.js');

/** The workspace package directories, from the globs of pnpm-workspace.yaml (`dir/*` or `dir`). */
function workspaceDirs(root) {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs = [...yaml.matchAll(/^\s+-\s+['"]?([^'"\s#]+)['"]?\s*$/gm)].map((m) => m[1]);
  return globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [glob];
    const parent = glob.slice(0, -2);
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`);
  });
}

/**
 * Copies what `changeset version` and `pnpm pack` read: the root manifest and workspace file,
 * the changesets, the licence and its prepack script, and per workspace package its manifest,
 * README, CHANGELOG and (for the public ones) the built `dist/`.
 */
function copyWorkspace(copy) {
  for (const file of ['package.json', 'pnpm-workspace.yaml', 'LICENSE']) {
    cpSync(join(ROOT, file), join(copy, file));
  }
  cpSync(join(ROOT, '.changeset'), join(copy, '.changeset'), { recursive: true });
  cpSync(join(ROOT, 'scripts'), join(copy, 'scripts'), { recursive: true });
  for (const dir of workspaceDirs(ROOT)) {
    if (!existsSync(join(ROOT, dir, 'package.json'))) continue;
    mkdirSync(join(copy, dir), { recursive: true });
    for (const entry of ['package.json', 'README.md', 'CHANGELOG.md', 'dist']) {
      if (existsSync(join(ROOT, dir, entry))) {
        cpSync(join(ROOT, dir, entry), join(copy, dir, entry), { recursive: true });
      }
    }
  }
}

/**
 * `pnpm pack` turns `workspace:` ranges into versions by reading the linked packages, so each
 * workspace dependency is linked into the copy's `node_modules`, as `pnpm install` would.
 */
function linkWorkspaceDependencies(copy) {
  const dirs = workspaceDirs(copy).filter((dir) => existsSync(join(copy, dir, 'package.json')));
  const manifests = new Map(
    dirs.map((dir) => [dir, JSON.parse(readFileSync(join(copy, dir, 'package.json'), 'utf8'))]),
  );
  const dirOf = new Map([...manifests].map(([dir, manifest]) => [manifest.name, dir]));
  for (const [dir, manifest] of manifests) {
    const fields = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
    for (const field of fields) {
      for (const [name, range] of Object.entries(manifest[field] ?? {})) {
        if (!String(range).startsWith('workspace:') || !dirOf.has(name)) continue;
        const link = join(copy, dir, 'node_modules', name);
        if (existsSync(link)) continue;
        mkdirSync(dirname(link), { recursive: true });
        symlinkSync(relative(dirname(link), join(copy, dirOf.get(name))), link);
      }
    }
  }
}

function pendingChangesets(root) {
  const dir = join(root, '.changeset');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .sort()
    .map((file) => parseChangeset(file, readFileSync(join(dir, file), 'utf8')));
}

function workspaceDependencies(manifest, names) {
  return Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }).filter(
    (name) => names.has(name),
  );
}

/** `npm publish --dry-run` of one tarball; returns the file list npm would publish. */
function dryRunPublish(tarball, cwd) {
  const result = spawnSync(
    'npm',
    ['publish', tarball, '--dry-run', '--json', '--access', 'public', '--tag', 'latest'],
    { cwd, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(`npm publish --dry-run ${tarball} failed:\n${result.stdout}\n${result.stderr}`);
  }
  const report = JSON.parse(result.stdout);
  const [entry] = Object.values(report);
  return { id: entry.id, size: entry.size, files: entry.files.map((file) => file.path).sort() };
}

/**
 * Runs the rehearsal and prints its findings.
 * @returns {Promise<boolean>} whether everything held
 */
export async function rehearseRelease() {
  const copy = mkdtempSync(join(tmpdir(), 'otel-http-release-'));
  try {
    copyWorkspace(copy);
    const before = publicPackages(copy);
    const names = new Set(before.map((pkg) => pkg.manifest.name));
    const changesets = pendingChangesets(copy);
    const plan = planReleases(
      before.map(({ manifest }) => ({
        name: manifest.name,
        version: manifest.version,
        dependsOn: workspaceDependencies(manifest, names),
      })),
      changesets,
    );
    console.log(`${changesets.length} pending changesets; changeset version in ${copy}`);

    const version = spawnSync(process.execPath, [changesetBin, 'version'], {
      cwd: copy,
      encoding: 'utf8',
    });
    if (version.status !== 0) {
      console.log(`changeset version failed:\n${version.stdout}\n${version.stderr}`);
      return false;
    }

    const after = publicPackages(copy);
    linkWorkspaceDependencies(copy);
    const versions = new Map(after.map(({ manifest }) => [manifest.name, manifest.version]));
    const left = pendingChangesets(copy).map((changeset) => changeset.file);
    const reports = [];
    const packDir = join(copy, 'packs');
    for (const pkg of after) {
      const { name } = pkg.manifest;
      const previous = before.find((b) => b.manifest.name === name)?.manifest.version;
      const release = plan.get(name);
      const expected = release?.to ?? previous;
      const problems = [];
      const notes = [
        release
          ? `${previous} -> ${pkg.manifest.version} (${release.type}: ${release.summaries.length} changesets${
              release.dependencies.length > 0
                ? `, dependencies ${release.dependencies.join(', ')}`
                : ''
            })`
          : `${previous}, not released`,
      ];
      if (pkg.manifest.version !== expected) {
        problems.push(`version ${pkg.manifest.version}, expected ${expected}`);
      }
      if (release) {
        const changelogPath = join(pkg.dir, 'CHANGELOG.md');
        const changelog = existsSync(changelogPath)
          ? readFileSync(changelogPath, 'utf8')
          : undefined;
        problems.push(...changelogProblems(name, release, changelog, plan));
      }

      try {
        const packed = pack(pkg, packDir);
        const root = unpack(packed.tarball, join(copy, 'unpacked', pkg.dirName));
        const manifest = packedManifest(root);
        if (manifest.version !== expected) {
          problems.push(`the tarball says version ${manifest.version}, expected ${expected}`);
        }
        problems.push(...internalRangeProblems(manifest, versions));

        const published = dryRunPublish(packed.tarball, copy);
        notes.push(
          `npm publish --dry-run: ${published.id}, ${published.files.length} files, ${published.size} bytes packed`,
        );
        for (const file of published.files) notes.push(`  ${file}`);
        problems.push(...fileListProblems(published.files));
        problems.push(
          ...sourceMapProblems(published.files, (file) => readFileSync(join(root, file), 'utf8')),
        );
        if (release && !published.files.includes('CHANGELOG.md')) {
          problems.push('CHANGELOG.md is not in the tarball');
        }
      } catch (error) {
        problems.push(String(error?.stack ?? error));
      }
      reports.push({ name, problems, notes });
    }
    if (left.length > 0) {
      reports.push({
        name: '.changeset',
        problems: [`not consumed: ${left.join(', ')}`],
        notes: [],
      });
    }
    return printReports(reports, 'release rehearsal');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
