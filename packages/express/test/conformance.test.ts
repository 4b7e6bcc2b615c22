import { runConformance } from '@otel-http/conformance';
import { listen, standardApp } from './standard-app.js';

runConformance({
  name: 'express',
  start: async (options) => listen(standardApp(options)),
});
