import { once } from 'node:events';
import { closeChats, createShop } from './shop.js';
import { startExampleTelemetry } from './telemetry.js';

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
 * Waits until `server`, a `node:http` server told to listen on `host`, listens.
 *
 * @param {import('node:http').Server} server
 * @param {string} host
 * @param {import('ws').WebSocketServer} [chats] - The server's chat WebSockets, closed first (1001).
 * @returns {Promise<{ url: string, close: () => Promise<void> }>} `url`, the base URL, and
 *   `close()`, which stops the server once the requests in flight are done.
 */
export async function whenListening(server, host, chats) {
  if (!server.listening) await once(server, 'listening');
  return {
    url: `http://${host}:${server.address().port}`,
    close: () => {
      if (chats !== undefined) closeChats(chats);
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Runs one example, what its `main.js` does: starts telemetry, then the server on `PORT` (else
 * the example's default port) and `HOST`, with a shop whose log the server shares; logs where the
 * service answers (a `listening` line with `url` and `metricsUrl`); and stops it on SIGINT or
 * SIGTERM: the server first, so that requests in flight finish and their spans end, then
 * telemetry, so that the last spans and metrics are exported.
 *
 * @param {object} example
 * @param {import('./types.js').ExampleSettings} example.settings - The example's `settings.js`.
 * @param {import('./types.js').StartServer} example.startServer - The example's `app.js` export.
 */
export async function runExample({ settings, startServer }) {
  const telemetry = startExampleTelemetry(settings);
  const shop = createShop(settings);
  const { log } = shop;
  const server = await startServer({
    port: portFromEnv('PORT', settings.DEFAULT_PORT),
    host: HOST,
    shop,
  });
  const { prometheusUrl } = await telemetry.ready;
  log.info({ url: server.url, metricsUrl: prometheusUrl }, 'listening');
  const stop = async (signal) => {
    log.info({ signal }, 'stopping');
    const gaveUp = setTimeout(() => {
      log.warn('requests still running after 5 s; stopping anyway');
      void telemetry.shutdown().then(() => process.exit(1));
    }, 5000);
    gaveUp.unref();
    await server.close();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
