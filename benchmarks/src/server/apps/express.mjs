import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { otel } from '@otel-http/express';
import { createFloor } from '../floor.mjs';
import { boundPort, otelHttpOptions, userBody } from './app.mjs';

// `require`, so that the official instrumentation's module hooks see Express being loaded.
const require = createRequire(import.meta.url);

/**
 * The parts of Express this application uses.
 *
 * @typedef {import('node:http').IncomingMessage & { method: string, path: string, params: { id: string }, route?: { path: string } }} Request
 * @typedef {import('node:http').ServerResponse & { json(body: unknown): void }} Response
 * @typedef {object} Application
 * @property {(handler: (...args: never[]) => unknown) => void} use
 * @property {(path: string, handler: (req: Request, res: Response) => void) => void} get
 * @property {(port: number, host: string) => import('node:http').Server} listen
 */

/** @type {import('./app.mjs').StartApp} */
export async function startApp({ mode, onHandled }) {
  /** @type {() => Application} */
  const express = require('express');
  const app = express();

  const options = otelHttpOptions(mode);
  if (options !== undefined) app.use(otel(options));
  if (mode === 'floor') {
    const floor = createFloor();
    app.use(
      (/** @type {Request} */ req, /** @type {Response} */ res, /** @type {() => void} */ next) => {
        const request = floor.start(req.method, req.path);
        res.once('finish', () => floor.end(request, res.statusCode, req.route?.path));
        context.with(request.context, next);
      },
    );
  }

  app.get('/users/:id', (req, res) => {
    onHandled();
    res.json(userBody(req.params.id));
  });

  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return boundPort(server);
}
