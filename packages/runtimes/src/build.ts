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

/**
 * Bundles `worker.ts` into one self-contained module for workerd, which has no node_modules to
 * load from: everything is bundled, the Node built-ins left to `nodejs_compat`. A CommonJS
 * `require` of a built-in (the SDK's context manager has one) cannot stay a `require` in an ES
 * module: it gets a small ES module that re-exports the built-in.
 */
export async function buildWorker(outfile: string): Promise<void> {
  await build({
    entryPoints: [here('./worker.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    // The SDK's packages swap their Node-only modules out through the `browser` field.
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser', 'import'],
    target: 'es2022',
    logLevel: 'warning',
    define: buildDefines,
    plugins: [
      {
        name: 'workspace-sources-and-builtins',
        setup(pluginBuild) {
          pluginBuild.onResolve({ filter: /^@otel-http\// }, (args) => {
            for (const { find, replacement } of workspaceAliases) {
              if (find.test(args.path)) return { path: replacement };
            }
            return undefined;
          });
          pluginBuild.onResolve(
            { filter: /^(node:)?(async_hooks|events|buffer|util)$/ },
            (args) => {
              const name = args.path.replace(/^node:/, '');
              return args.kind === 'require-call'
                ? { path: name, namespace: 'builtin-as-esm' }
                : { path: `node:${name}`, external: true };
            },
          );
          pluginBuild.onLoad({ filter: /.*/, namespace: 'builtin-as-esm' }, (args) => ({
            contents: `export * from 'node:${args.path}';`,
            loader: 'js',
          }));
        },
      },
    ],
  });
}
