import { serve } from '@hono/node-server';
import { httpInstrumentationMiddleware } from '@hono/otel';
import { context } from '@opentelemetry/api';
import { otel } from '@otel-http/hono';
import { Hono } from 'hono';
import { routePath } from 'hono/route';
import { createFloor } from '../floor.mjs';
import { keepIdleConnections, otelHttpOptions, userBody } from './app.mjs';

/** @type {import('./app.mjs').StartApp} */
export async function startApp({ mode, onHandled }) {
  const app = new Hono();

  const options = otelHttpOptions(mode);
  if (options !== undefined) app.use(otel(options));
  if (mode === 'official') app.use(httpInstrumentationMiddleware());
  if (mode === 'official-metrics') app.use(httpInstrumentationMiddleware({ disableTracing: true }));
  if (mode === 'floor') {
    const floor = createFloor();
    app.use(async (c, next) => {
      const request = floor.start(c.req.method, c.req.path);
      await context.with(request.context, next);
      floor.end(request, c.res.status, routePath(c));
    });
  }

  app.get('/users/:id', (c) => {
    onHandled();
    return c.json(userBody(c.req.param('id')));
  });

  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve(info.port),
    );
    keepIdleConnections(/** @type {{ keepAliveTimeout?: number }} */ (server));
  });
}
