import { createRequire } from 'node:module';
import {
  BoomError,
  type ConformanceServer,
  FailError,
  probe,
  ROUTES,
  sleep,
  whenListening,
} from '@otel-http/conformance';
import express, { type Express } from 'express';
import { type OtelHttpOptions, otel } from '../src/index.js';

/** The `express` module of the version under test (5 by default, or 4.21). */
export type ExpressModule = typeof express;

/**
 * The conformance suite's standard route table, written the Express way, behind `otel()`. Express
 * 4 does not handle a rejected promise, so there `/fail` hands the rejection to `next` itself, as
 * Express 4 applications do.
 */
export function standardApp(
  options: OtelHttpOptions,
  expressModule: ExpressModule = express,
): Express {
  const app = expressModule();
  const handlesPromises = Number.parseInt(expressVersion(expressModule), 10) >= 5;
  // Keeps Express's final handler from printing the stacks of the errors the suite provokes.
  app.set('env', 'test');
  app.use(otel(options));

  app.get('/users/:id', (req, res) => {
    res.json({ ...probe(), id: req.params.id });
  });
  app.post('/users', expressModule.json(), (req, res) => {
    res.status(ROUTES.created.status).json({ id: 'new', ...req.body });
  });

  const api = expressModule.Router();
  api.get('/items/:itemId', (req, res) => {
    res.json({ ...probe(), itemId: req.params.itemId });
  });
  api.get('/boom', () => {
    throw new BoomError('boom');
  });
  app.use(ROUTES.mount, api);

  const projects = expressModule.Router({ mergeParams: true });
  projects.get('/projects/:projectId', (req, res) => {
    // `mergeParams`: the mount's `orgId` is among them.
    res.json({ ...probe(), ...req.params });
  });
  app.use(ROUTES.paramMount, projects);

  const failLater = async () => {
    await sleep(1);
    throw new FailError('fail');
  };
  if (handlesPromises) app.get('/fail', failLater);
  else app.get('/fail', (_req, _res, next) => void failLater().catch(next));
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

/** The version of an `express` module, read from its package.json next to it. */
export function expressVersion(expressModule: ExpressModule): string {
  return expressModule === express ? EXPRESS_5_VERSION : EXPRESS_4_VERSION;
}

const require = createRequire(import.meta.url);
const EXPRESS_5_VERSION: string = require('express/package.json').version;
const EXPRESS_4_VERSION: string = require('express4/package.json').version;

/** Listens on a loopback port; `close` drops open connections so that it never waits. */
export function listen(app: Express): Promise<ConformanceServer> {
  return whenListening(app.listen(0, '127.0.0.1'));
}
