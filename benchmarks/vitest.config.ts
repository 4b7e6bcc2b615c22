import { packageProject } from '../vitest.shared.js';

export default packageProject('benchmarks', { testTimeout: 30_000 });
