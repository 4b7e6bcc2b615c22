// Starts the service: `node src/main.js` (or `pnpm start`). `runExample` starts telemetry first,
// then the server, and stops both on SIGINT or SIGTERM.
import { runExample } from '@otel-http/example-shop';
import { startServer } from './app.js';
import * as settings from './settings.js';

await runExample({ settings, startServer });
