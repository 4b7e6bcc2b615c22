import { log } from './log.js';
import { telemetry } from './telemetry.js';

/** Interface to listen on: `HOST`, else loopback only. */
export const HOST = process.env.HOST || '127.0.0.1';

/** The port in the environment variable `name` (`0` picks a free one), else `fallback`. */
export function portFromEnv(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name}=${text} is not a port number`);
  }
  return port;
}

/**
 * Logs where the service answers (a `listening` line with `url` and `metricsUrl`), then stops it
 * on SIGINT or SIGTERM: the server first, so that requests in flight finish and their spans end,
 * then telemetry, so that the last spans and metrics are exported.
 *
 * @param url - Base URL of the HTTP server, which is already listening.
 * @param closeServer - Stops the server; resolves when the requests in flight are done.
 */
export async function runUntilStopped(url, closeServer) {
  const { prometheusUrl } = await telemetry.ready;
  log.info({ url, metricsUrl: prometheusUrl }, 'listening');
  const stop = async (signal) => {
    log.info({ signal }, 'stopping');
    const gaveUp = setTimeout(() => {
      log.warn('requests still running after 5 s; stopping anyway');
      void telemetry.shutdown().then(() => process.exit(1));
    }, 5000);
    gaveUp.unref();
    await closeServer();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
