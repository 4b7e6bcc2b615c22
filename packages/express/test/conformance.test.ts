import { runConformance } from '@otel-http/conformance';
import express from 'express';
import express4 from 'express4';
import { expressVersion, listen, standardApp } from './standard-app.js';

for (const expressModule of [express, express4]) {
  runConformance({
    name: `express ${expressVersion(expressModule)}`,
    start: async (options) => listen(standardApp(options, expressModule)),
  });
}
// The same suite with the RED metrics from otel-http's producer instead of the API instruments.
runConformance(
  {
    name: `express ${expressVersion(express)}`,
    start: async (options) => listen(standardApp(options, express)),
  },
  { redMetricProducer: true },
);
