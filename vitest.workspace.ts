import { existsSync } from 'node:fs';
import { defineWorkspace } from 'vitest/config';

// One test project per package, example and the benchmark harness; each directory's
// vitest.config.ts names its project. The root vitest.config.ts hands this list to Vitest as
// `test.projects`. Vitest rejects a plain path to a missing file, so the benchmark harness is
// listed only once it exists; a glob that matches nothing is fine.
const benchmarks = 'benchmarks/vitest.config.ts';

export default defineWorkspace([
  'packages/*/vitest.config.ts',
  'examples/*/vitest.config.ts',
  ...(existsSync(new URL(`./${benchmarks}`, import.meta.url)) ? [benchmarks] : []),
]);
