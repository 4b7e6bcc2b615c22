import { packageProject } from '../../vitest.shared.js';

// One project for everything under examples/: the four examples, the distributed chain, the
// compare command and the Prometheus check. Starting processes (and, when the packages are not
// built yet, building them once) needs more time than the default hooks get.
const project = packageProject('examples', { testTimeout: 90_000 });
if (project.test) project.test.hookTimeout = 240_000;

export default project;
