import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

export default defineConfig({
  // register is the preload entry (`node --import @otel-http/node/register`), loaded for its effect.
  entry: ['src/index.ts', 'src/register.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: false,
  clean: true,
  target: 'node20',
  treeshake: true,
  // The meter version of the queue metrics (src/version.ts): the version being built.
  define: { __OTEL_HTTP_NODE_VERSION__: JSON.stringify(version) },
});
