/**
 * What tells the four examples apart, besides their `app.js`: each example's `src/settings.js`
 * exports these four values, and its `main.js` passes the module (`import * as settings`) to
 * {@link import('./lifecycle.js').runExample}.
 *
 * @typedef {object} ExampleSettings
 * @property {string} FRAMEWORK - Name of the framework, shown by `GET /` and on every log line.
 * @property {string} SERVICE_NAME - `service.name` unless `OTEL_SERVICE_NAME` is set.
 * @property {number} DEFAULT_PORT - HTTP port unless `PORT` is set.
 * @property {number} DEFAULT_METRICS_PORT - Prometheus scrape port unless
 *   `OTEL_EXPORTER_PROMETHEUS_PORT` is set.
 */

/**
 * What an example's `app.js` exports to be started: builds the app with `shop` (its own when
 * none is given) and listens on `host:port` (`0`: a free port).
 *
 * @callback StartServer
 * @param {{ port: number, host: string, shop?: import('./shop.js').Shop }} options
 * @returns {Promise<{ url: string, close: () => Promise<unknown> }>} `url`, the base URL, and
 *   `close()`, which stops the server once the requests in flight are done.
 */

export {};
