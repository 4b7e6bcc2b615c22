import { runConformance } from '@otel-http/conformance';
import { listen } from './server.js';
import { standardApp } from './standard-app.js';

runConformance({
  name: 'hono',
  start: async (options) => listen(standardApp(options)),
});
