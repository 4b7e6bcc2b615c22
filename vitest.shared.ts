import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const src = (pkg: string, file = 'index.ts') =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

/**
 * Tests run against the TypeScript sources of the workspace packages, so a change is tested without
 * a build. The packed, built packages are tested separately (release checks).
 */
export const workspaceAliases = [
  { find: /^@otel-http\/core\/node$/, replacement: src('core', 'node.ts') },
  { find: /^@otel-http\/core\/fetch$/, replacement: src('core', 'fetch-server.ts') },
  { find: /^@otel-http\/core$/, replacement: src('core') },
  { find: /^@otel-http\/conformance$/, replacement: src('conformance') },
  { find: /^@otel-http\/express$/, replacement: src('express') },
  { find: /^@otel-http\/fastify$/, replacement: src('fastify') },
  { find: /^@otel-http\/hono$/, replacement: src('hono') },
  { find: /^@otel-http\/koa$/, replacement: src('koa') },
  { find: /^@otel-http\/node\/register$/, replacement: src('node', 'register.ts') },
  { find: /^@otel-http\/node$/, replacement: src('node') },
];

const versionOf = (pkg: string): string =>
  JSON.parse(readFileSync(new URL(`./packages/${pkg}/package.json`, import.meta.url), 'utf8'))
    .version;

/** What each package's build defines (its tsup.config.ts), so that the sources report the same. */
export const buildDefines = {
  __OTEL_HTTP_CORE_VERSION__: JSON.stringify(versionOf('core')),
  __OTEL_HTTP_NODE_VERSION__: JSON.stringify(versionOf('node')),
};

export function packageProject(name: string, extra: { testTimeout?: number } = {}) {
  return defineProject({
    resolve: { alias: workspaceAliases },
    define: buildDefines,
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: extra.testTimeout ?? 20_000,
      hookTimeout: 20_000,
    },
  });
}
