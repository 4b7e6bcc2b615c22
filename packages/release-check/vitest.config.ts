import { defineProject } from 'vitest/config';

// The pure rules of the release checks. The tests in fixtures/installed are not part of this
// project: they run inside the temporary projects the matrix installs (src/matrix.mjs).
export default defineProject({
  test: {
    name: 'release-check',
    include: ['test/**/*.test.mjs'],
    environment: 'node',
  },
});
