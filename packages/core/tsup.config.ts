import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/fetch-server.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: false,
  clean: true,
  target: 'node20',
  treeshake: true,
  // The instrumentation scope version (src/version.ts): the version being built, not a fallback.
  define: { __OTEL_HTTP_CORE_VERSION__: JSON.stringify(version) },
});
