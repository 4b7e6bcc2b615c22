import { packageProject } from '../../vitest.shared.js';

export default packageProject('reliability', { testTimeout: 60_000 });
