import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

/** A Koa application listening on a loopback port. */
export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, port 0; `close` also drops kept-alive connections. */
export function listen(app: Koa): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1');
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
