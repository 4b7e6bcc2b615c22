import { runConformance } from '@otel-http/conformance';
import { listen, standardApp } from './standard-app.js';

runConformance({
  name: 'fastify',
  start: async (options) => listen(await standardApp(options)),
});
