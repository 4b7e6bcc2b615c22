import { BoomError, FailError, probe, ROUTES, sleep } from '@otel-http/conformance';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { type OtelHonoOptions, otel } from '../src/index.js';

/**
 * The conformance suite's standard route table, written the way a Hono application would: the
 * nested routes are a sub-app mounted with `app.route('/api/v1', api)`, 404 and errors are Hono's
 * own. Nothing here depends on Node, so the same app runs under `@hono/node-server` and through
 * `app.request()` alone.
 */
export function standardApp(options: OtelHonoOptions): Hono {
  const app = new Hono();
  app.use(otel(options));

  app.get('/users/:id', (c) => c.json({ ...probe(), id: c.req.param('id') }));
  app.post('/users', (c) => c.json({ ...probe(), created: true }, ROUTES.created.status));

  const api = new Hono();
  api.get('/items/:itemId', (c) => c.json({ ...probe(), itemId: c.req.param('itemId') }));
  api.get('/boom', () => {
    throw new BoomError('boom');
  });
  app.route(ROUTES.mount, api);

  const projects = new Hono();
  projects.get('/projects/:projectId', (c) =>
    c.json({ ...probe(), orgId: c.req.param('orgId'), projectId: c.req.param('projectId') }),
  );
  app.route(ROUTES.paramMount, projects);

  app.get('/fail', async () => {
    await sleep(1);
    throw new FailError('fail');
  });
  app.get('/bad', (c) => c.json({ error: 'bad request' }, ROUTES.bad.status));
  app.get('/server-error', (c) => c.json({ error: 'unavailable' }, ROUTES.serverError.status));
  app.get('/stream', (c) =>
    streamSSE(c, async (stream) => {
      for (let i = 0; i < ROUTES.stream.events; i++) {
        await sleep(ROUTES.stream.intervalMs);
        await stream.writeSSE({ data: `event-${i}` });
      }
    }),
  );
  app.get('/slow', async (c) => {
    await sleep(ROUTES.slow.delayMs);
    return c.json({ slow: true });
  });
  app.get('/health', (c) => c.json({ status: 'ok' }));
  return app;
}
