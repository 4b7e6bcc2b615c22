import { type AdapterHarness, runConformance } from '@otel-http/conformance';
import { afterAll, beforeAll } from 'vitest';
import { listen } from './server.js';
import { standardApp } from './standard-app.js';

// Hono's own error handler, which the standard app keeps, logs every error it answers with a 500.
// The suite throws BoomError and FailError on purpose: their stack traces would only bury a
// passing run. Anything else logged still shows.
const consoleError = console.error;
beforeAll(() => {
  console.error = (...args: unknown[]) => {
    const [error] = args;
    const thrownOnPurpose =
      args.length === 1 &&
      error instanceof Error &&
      (error.name === 'BoomError' || error.name === 'FailError');
    if (!thrownOnPurpose) consoleError(...args);
  };
});
afterAll(() => {
  console.error = consoleError;
});

const harness: AdapterHarness = {
  name: 'hono',
  start: async (options) => listen(standardApp(options)),
};
runConformance(harness);
// The same suite with the RED metrics from otel-http's producer instead of the API instruments.
runConformance(harness, { redMetricProducer: true });
