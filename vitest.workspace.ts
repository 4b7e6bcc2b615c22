import { defineWorkspace } from 'vitest/config';

// One test project per package, example and the benchmark harness; each directory's
// vitest.config.ts names its project.
export default defineWorkspace([
  'packages/*/vitest.config.ts',
  'examples/*/vitest.config.ts',
  'benchmarks/*.config.ts',
]);
