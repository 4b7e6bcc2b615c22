import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { otel } from '@otel-http/fastify';
import { createFloor } from '../floor.mjs';
import { boundPort, otelHttpOptions, userBody } from './app.mjs';

// `require`, so that the official instrumentation's module hooks see Fastify being loaded.
const require = createRequire(import.meta.url);

/** @type {import('./app.mjs').StartApp} */
export async function startApp({ mode, onHandled, official }) {
  /** @type {typeof import('fastify').default} */
  const fastify = require('fastify');
  const app = fastify({ logger: false });

  const options = otelHttpOptions(mode);
  if (options !== undefined) await app.register(otel, options);
  if (mode === 'official' || mode === 'official-metrics') {
    await app.register(
      /** @type {import('fastify').FastifyPluginCallback} */ (official.fastifyPlugin),
    );
  }
  if (mode === 'floor') {
    const floor = createFloor();
    app.addHook('onRequest', (request, reply, next) => {
      const started = floor.start(request.method, request.url);
      reply.raw.once('finish', () =>
        floor.end(started, reply.raw.statusCode, request.routeOptions.url),
      );
      context.with(started.context, next);
    });
  }

  app.get('/users/:id', async (request) => {
    onHandled();
    return userBody(/** @type {{ id: string }} */ (request.params).id);
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  return boundPort(app.server);
}
