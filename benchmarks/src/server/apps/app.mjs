// What every benchmark application shares: its options, the route's answer, and which otel-http
// options each mode passes.

/**
 * @typedef {object} AppOptions
 * @property {import('../../matrix.mjs').Mode} mode
 * @property {() => void} onHandled Called by the route handler for every request it answers.
 * @property {import('../official.mjs').OfficialInstrumentation} official
 */

/**
 * Starts the application on 127.0.0.1 and an ephemeral port; resolves with the port.
 *
 * @typedef {(options: AppOptions) => Promise<number>} StartApp
 */

/**
 * The JSON body of `GET /users/:id`, the same in every framework.
 *
 * @param {string} id
 */
export function userBody(id) {
  return { id, name: `User ${id}`, roles: ['reader'] };
}

/**
 * The otel-http options of a mode, or `undefined` when the mode does not use otel-http. Sampling
 * is the tracer provider's business, so both traced modes pass the defaults.
 *
 * @param {import('../../matrix.mjs').Mode} mode
 * @returns {import('@otel-http/core').OtelHttpOptions | undefined}
 */
export function otelHttpOptions(mode) {
  if (mode === 'metrics') return { tracing: false };
  if (mode === 'otel-http' || mode === 'otel-http-10%') return {};
  return undefined;
}

/**
 * Under callgrind (see ../../instructions/callgrind.mjs) the keep-alive connection must survive
 * the pauses between warm-up and measurement, however slow the machine: the idle timeout is
 * switched off there.
 *
 * @param {{ keepAliveTimeout?: number }} server
 */
export function keepIdleConnections(server) {
  if (process.env.OTEL_HTTP_BENCH_NO_IDLE_TIMEOUT === '1') server.keepAliveTimeout = 0;
}

/**
 * The port a listening `node:http` server is bound to.
 *
 * @param {import('node:net').Server & { keepAliveTimeout?: number }} server
 */
export function boundPort(server) {
  keepIdleConnections(server);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return address.port;
}
