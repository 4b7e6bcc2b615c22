import { workspaceAliases } from '../../../vitest.shared.js';

/** The stress jobs run the workspace sources directly, as the tests do (see vitest.shared.ts). */
export default {
  resolve: { alias: workspaceAliases },
  logLevel: 'warn',
};
