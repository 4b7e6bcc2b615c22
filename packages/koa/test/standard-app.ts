import { Readable } from 'node:stream';
import Router from '@koa/router';
import { BoomError, FailError, probe, ROUTES, sleep } from '@otel-http/conformance';
import type { OtelHttpOptions } from '@otel-http/core';
import Koa from 'koa';
import { otel } from '../src/index.js';

async function* serverSentEvents() {
  for (let i = 0; i < ROUTES.stream.events; i++) {
    await sleep(ROUTES.stream.intervalMs);
    yield ROUTES.stream.frame(i);
  }
}

/**
 * The conformance suite's standard route table, written the way a Koa application would: one
 * `@koa/router` router, a nested router mounted at `/api/v1`, Koa's own 404 and error handling.
 */
export function standardApp(options: OtelHttpOptions): Koa {
  const app = new Koa();
  // Koa logs unhandled errors to stderr; the suite provokes them on purpose.
  app.silent = true;
  app.use(otel(options));

  const nested = new Router();
  nested.get('/items/:itemId', (ctx) => {
    ctx.body = { ...probe(), itemId: ctx.params.itemId };
  });
  nested.get('/boom', () => {
    throw new BoomError('boom');
  });

  const router = new Router();
  router.get('/users/:id', (ctx) => {
    ctx.body = { ...probe(), id: ctx.params.id };
  });
  router.post('/users', (ctx) => {
    ctx.status = ROUTES.created.status;
    ctx.body = { ...probe(), created: true };
  });
  router.use(ROUTES.mount, nested.routes());
  const projects = new Router();
  projects.get('/projects/:projectId', (ctx) => {
    ctx.body = { ...probe(), orgId: ctx.params.orgId, projectId: ctx.params.projectId };
  });
  router.use(ROUTES.paramMount, projects.routes());
  router.get('/fail', async () => {
    await sleep(1);
    throw new FailError('fail');
  });
  router.get('/bad', (ctx) => {
    ctx.status = ROUTES.bad.status;
    ctx.body = { error: 'bad request' };
  });
  router.get('/server-error', (ctx) => {
    ctx.status = ROUTES.serverError.status;
    ctx.body = { error: 'unavailable' };
  });
  router.get('/stream', (ctx) => {
    ctx.type = 'text/event-stream';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = Readable.from(serverSentEvents());
  });
  router.get('/slow', async (ctx) => {
    await sleep(ROUTES.slow.delayMs);
    ctx.body = { slow: true };
  });
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  app.use(router.routes());
  return app;
}
