import { startTelemetry } from '@otel-http/node';
import { DEFAULT_METRICS_PORT, SERVICE_NAME } from './settings.js';

/**
 * The OpenTelemetry SDK with the defaults of `@otel-http/node`: spans printed one line each (or
 * sent over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_TRACES_EXPORTER` say so), metrics on
 * a Prometheus endpoint, W3C trace context and baggage. Started when `lifecycle.js` is imported,
 * before `main.js` builds the app.
 *
 * Only two defaults are this example's own, and the standard variables still win over them: the
 * service name, and a Prometheus port per example so that all four can run side by side.
 */
export const telemetry = startTelemetry({
  ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: SERVICE_NAME }),
  ...(process.env.OTEL_EXPORTER_PROMETHEUS_PORT
    ? {}
    : { prometheus: { port: DEFAULT_METRICS_PORT } }),
});
