import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import {
  BoomError,
  type ConformanceServer,
  FailError,
  probe,
  ROUTES,
  sleep,
} from '@otel-http/conformance';
import express, { type Express } from 'express';
import { otel, type OtelHttpOptions } from '../src/index.js';

/** The conformance suite's standard route table, written the Express way, behind `otel()`. */
export function standardApp(options: OtelHttpOptions): Express {
  const app = express();
  // Keeps Express's final handler from printing the stacks of the errors the suite provokes.
  app.set('env', 'test');
  app.use(otel(options));

  app.get('/users/:id', (req, res) => {
    res.json({ ...probe(), id: req.params.id });
  });
  app.post('/users', express.json(), (req, res) => {
    res.status(ROUTES.created.status).json({ id: 'new', ...req.body });
  });

  const api = express.Router();
  api.get('/items/:itemId', (req, res) => {
    res.json({ ...probe(), itemId: req.params.itemId });
  });
  api.get('/boom', () => {
    throw new BoomError('boom');
  });
  app.use(ROUTES.mount, api);

  app.get('/fail', async () => {
    await sleep(1);
    throw new FailError('fail');
  });
  app.get('/bad', (_req, res) => {
    res.status(ROUTES.bad.status).json({ error: 'bad request' });
  });
  app.get('/server-error', (_req, res) => {
    res.status(ROUTES.serverError.status).json({ error: 'unavailable' });
  });
  app.get('/stream', async (_req, res) => {
    res.setHeader('content-type', 'text/event-stream');
    res.setHeader('cache-control', 'no-cache');
    res.flushHeaders();
    for (let i = 0; i < ROUTES.stream.events && !res.destroyed; i++) {
      await sleep(ROUTES.stream.intervalMs);
      res.write(ROUTES.stream.frame(i));
    }
    res.end();
  });
  app.get('/slow', async (_req, res) => {
    await sleep(ROUTES.slow.delayMs);
    res.json({ slow: true });
  });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  return app;
}

/** Listens on a loopback port; `close` drops open connections so that it never waits. */
export async function listen(app: Express): Promise<ConformanceServer> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
