/**
 * What this service is called and where it listens by default. The four examples differ only in
 * these values and in `app.js`; `main.js` is the same in all four, and everything else they share
 * is in `@otel-http/example-shop` (`examples/shop`).
 */

/** Name of the framework, shown by `GET /` and on every log line. */
export const FRAMEWORK = 'fastify';

/** `service.name` unless `OTEL_SERVICE_NAME` is set. */
export const SERVICE_NAME = 'example-fastify';

/** HTTP port unless `PORT` is set. */
export const DEFAULT_PORT = 3002;

/** Prometheus scrape port unless `OTEL_EXPORTER_PROMETHEUS_PORT` is set. */
export const DEFAULT_METRICS_PORT = 9466;
