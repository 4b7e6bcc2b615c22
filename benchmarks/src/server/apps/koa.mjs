import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { otel } from '@otel-http/koa';
import { createFloor } from '../floor.mjs';
import { boundPort, otelHttpOptions, userBody } from './app.mjs';

// `require`, so that the official instrumentation's module hooks see Koa being loaded.
const require = createRequire(import.meta.url);

/**
 * The parts of Koa this application uses.
 *
 * @typedef {object} Context
 * @property {string} method
 * @property {string} path
 * @property {number} status
 * @property {unknown} [_matchedRoute] Left by `@koa/router`: the template of the route it ran.
 * @typedef {object} Application
 * @property {(middleware: (...args: never[]) => unknown) => void} use
 * @property {(port: number, host: string) => import('node:http').Server} listen
 */

/** @type {import('./app.mjs').StartApp} */
export async function startApp({ mode, onHandled }) {
  /** @type {new () => Application} */
  const Koa = require('koa');
  /** @type {typeof import('@koa/router').Router} */
  const { Router } = require('@koa/router');
  const app = new Koa();

  const options = otelHttpOptions(mode);
  if (options !== undefined) app.use(otel(options));
  if (mode === 'floor') {
    const floor = createFloor();
    app.use(async (/** @type {Context} */ ctx, /** @type {() => Promise<unknown>} */ next) => {
      const request = floor.start(ctx.method, ctx.path);
      await context.with(request.context, next);
      const route = ctx._matchedRoute;
      floor.end(request, ctx.status, typeof route === 'string' ? route : undefined);
    });
  }

  const router = new Router();
  router.get('/users/:id', (ctx) => {
    onHandled();
    ctx.body = userBody(ctx.params.id ?? '');
  });
  app.use(router.routes());

  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return boundPort(server);
}
