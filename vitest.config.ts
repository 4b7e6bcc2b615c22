import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace.js';

// `vitest run` at the root runs every project listed in vitest.workspace.ts. Passing the list as
// `test.projects` (instead of letting Vitest discover the workspace file) is the Vitest 3.2 way.
export default defineConfig({
  test: { projects },
});
