import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** A Hono app served by `@hono/node-server` on a loopback port. */
export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `app` on 127.0.0.1, port 0; `close` also drops kept-alive connections. */
export function listen(app: Pick<Hono, 'fetch'>): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
  });
}
