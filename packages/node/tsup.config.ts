import { defineConfig } from 'tsup';

export default defineConfig({
  // register is the preload entry (`node --import @otel-http/node/register`), loaded for its effect.
  entry: ['src/index.ts', 'src/register.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: false,
  clean: true,
  target: 'node20',
  treeshake: true,
});
