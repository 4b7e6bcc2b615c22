import { startTelemetry } from '@otel-http/node';

/**
 * Starts the OpenTelemetry SDK with the defaults of `@otel-http/node`: spans printed one line each
 * (or sent over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_TRACES_EXPORTER` say so), metrics
 * on a Prometheus endpoint, W3C trace context and baggage. `runExample` calls it before it
 * builds the app; the adapters find the global providers at the first request.
 *
 * Only two defaults are the example's own, and the standard variables still win over them: the
 * service name, and a Prometheus port per example so that all four can run side by side.
 *
 * @param {import('./types.js').ExampleSettings} settings
 * @returns {ReturnType<typeof startTelemetry>}
 */
export function startExampleTelemetry({ SERVICE_NAME, DEFAULT_METRICS_PORT }) {
  return startTelemetry({
    ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: SERVICE_NAME }),
    ...(process.env.OTEL_EXPORTER_PROMETHEUS_PORT
      ? {}
      : { prometheus: { port: DEFAULT_METRICS_PORT } }),
  });
}
