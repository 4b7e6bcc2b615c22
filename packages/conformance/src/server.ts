import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import type { ConformanceServer } from './harness.js';

/**
 * Waits until `server` listens and returns it as `AdapterHarness.start` does: its URL and a
 * `close()`. Pass it a Node server just told to listen on `127.0.0.1` port 0 (`app.listen(0,
 * '127.0.0.1')`, or what `@hono/node-server`'s `serve` returns). `close()` also drops kept-alive
 * connections of an HTTP/1 server, so that closing never waits for a client's idle socket.
 *
 * @throws Error (the server's) when it cannot listen.
 */
export async function whenListening(server: Server): Promise<ConformanceServer> {
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeAllConnections' in server && typeof server.closeAllConnections === 'function') {
          server.closeAllConnections();
        }
      }),
  };
}
