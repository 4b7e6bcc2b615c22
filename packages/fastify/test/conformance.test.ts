import { type AdapterHarness, runConformance } from '@otel-http/conformance';
import { listen, standardApp } from './standard-app.js';

const harness: AdapterHarness = {
  name: 'fastify',
  start: async (options) => listen(await standardApp(options)),
};
runConformance(harness);
// The same suite with the RED metrics from otel-http's producer instead of the API instruments.
runConformance(harness, { redMetricProducer: true });
