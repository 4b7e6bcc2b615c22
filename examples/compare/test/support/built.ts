import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The packages the example processes load from their build output. */
const PACKAGES = ['core', 'node', 'express', 'fastify', 'hono', 'koa'];
const root = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Makes sure the packages the example processes import are built and not older than their
 * sources: plain Node runs the examples, so they load `dist`, unlike the in-process tests. In CI
 * the build step ran just before and this does nothing; after a fresh clone or a source change it
 * builds the stale packages once.
 */
export function ensurePackagesBuilt(): void {
  const stale = PACKAGES.filter((name) => {
    const output = `${root}packages/${name}/dist/index.js`;
    return (
      !existsSync(output) || newestFile(`${root}packages/${name}/src`) > statSync(output).mtimeMs
    );
  });
  if (stale.length === 0) return;
  const filters = stale.flatMap((name) => ['--filter', `./packages/${name}`]);
  const result = spawnSync('pnpm', ['-r', ...filters, 'run', 'build'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 200_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `building ${stale.join(', ')} failed (run \`pnpm build\`):\n${result.stdout}\n${result.stderr}`,
    );
  }
}

function newestFile(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}
