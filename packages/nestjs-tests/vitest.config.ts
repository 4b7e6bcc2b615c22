import { packageProject } from '../../vitest.shared.js';

// The decorators NestJS is written with come from this package's tsconfig.json
// (`experimentalDecorators`), which Vitest's transform reads.
export default packageProject('nestjs');
