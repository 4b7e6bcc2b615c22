// Starts the service: `node src/main.js` (or `pnpm start`). Telemetry starts when `lifecycle.js`
// is imported, before the app is built and before the first request.
import { startServer } from './app.js';
import { HOST, portFromEnv, runUntilStopped } from './lifecycle.js';
import { DEFAULT_PORT } from './settings.js';

const server = await startServer({ port: portFromEnv('PORT', DEFAULT_PORT), host: HOST });
await runUntilStopped(server.url, server.close);
