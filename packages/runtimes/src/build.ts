import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildDefines, workspaceAliases } from '../../../vitest.shared.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Bundles `runner.ts` (or another entry of `src/`) into `outfile` for Bun and Deno: the workspace packages from their sources
 * (as every Vitest project tests them), `vitest` as the shim, everything else left to the runtime
 * to load from this package's node_modules. `outfile` must lie inside this package.
 */
export async function buildRunner(outfile: string, entry = './runner.ts'): Promise<void> {
  await build({
    entryPoints: [here(entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    logLevel: 'warning',
    define: buildDefines,
    plugins: [
      {
        name: 'workspace-sources',
        setup(pluginBuild) {
          pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
            if (args.path === 'vitest') return { path: here('./vitest-shim.ts') };
            for (const { find, replacement } of workspaceAliases) {
              if (find.test(args.path)) return { path: replacement };
            }
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
}
