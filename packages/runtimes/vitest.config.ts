import { defineProject } from 'vitest/config';
import { buildDefines, workspaceAliases } from '../../vitest.shared.js';

// Each describe block starts a real runtime binary that runs a whole suite in its `beforeAll`.
export default defineProject({
  resolve: { alias: workspaceAliases },
  define: buildDefines,
  test: {
    name: 'runtimes',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 240_000,
  },
});
