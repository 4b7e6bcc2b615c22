import { type AdapterHarness, runConformance } from '@otel-http/conformance';
import { listen } from './server.js';
import { standardApp } from './standard-app.js';

const harness: AdapterHarness = {
  name: 'koa',
  start: async (options) => listen(standardApp(options)),
};
runConformance(harness);
// The same suite with the RED metrics from otel-http's producer instead of the API instruments.
runConformance(harness, { redMetricProducer: true });
