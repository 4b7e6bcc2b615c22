import { packageProject } from '../../vitest.shared.js';

export default packageProject('browser', { testTimeout: 60_000 });
