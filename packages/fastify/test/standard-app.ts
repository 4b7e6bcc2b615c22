import { Readable } from 'node:stream';
import {
  BoomError,
  type ConformanceServer,
  FailError,
  probe,
  ROUTES,
  sleep,
} from '@otel-http/conformance';
import Fastify, { type FastifyInstance } from 'fastify';
import { type OtelHttpOptions, otel } from '../src/index.js';

/** The server-sent events of `/stream`, each after its interval. */
async function* streamFrames(): AsyncGenerator<string> {
  for (let i = 0; i < ROUTES.stream.events; i++) {
    await sleep(ROUTES.stream.intervalMs);
    yield ROUTES.stream.frame(i);
  }
}

/**
 * The conformance suite's standard route table, written the Fastify way, behind `otel`. With
 * `http2`, on Node's HTTP/2 server: cleartext (h2c) without `http2.tls`, TLS with it.
 */
export async function standardApp(
  options: OtelHttpOptions,
  http2?: { tls: { key: string; cert: string } | undefined },
): Promise<FastifyInstance> {
  // `forceCloseConnections` so that closing never waits for a client's idle keep-alive socket.
  const app = (
    http2 === undefined
      ? Fastify({ forceCloseConnections: true })
      : http2.tls === undefined
        ? Fastify({ http2: true, forceCloseConnections: true })
        : Fastify({ http2: true, https: http2.tls, forceCloseConnections: true })
  ) as FastifyInstance;
  await app.register(otel, options);

  app.get<{ Params: { id: string } }>('/users/:id', (request, reply) => {
    reply.send({ ...probe(), id: request.params.id });
  });
  app.post<{ Body: Record<string, unknown> }>('/users', (request, reply) => {
    reply.code(ROUTES.created.status).send({ id: 'new', ...request.body });
  });

  await app.register(
    async (api) => {
      api.get<{ Params: { itemId: string } }>('/items/:itemId', (request, reply) => {
        reply.send({ ...probe(), itemId: request.params.itemId });
      });
      api.get('/boom', () => {
        throw new BoomError('boom');
      });
    },
    { prefix: ROUTES.mount },
  );
  await app.register(
    async (orgs) => {
      orgs.get<{ Params: { orgId: string; projectId: string } }>(
        '/projects/:projectId',
        (request, reply) => {
          const { orgId, projectId } = request.params;
          reply.send({ ...probe(), orgId, projectId });
        },
      );
    },
    { prefix: ROUTES.paramMount },
  );

  app.get('/fail', async () => {
    await sleep(1);
    throw new FailError('fail');
  });
  app.get('/bad', (_request, reply) => {
    reply.code(ROUTES.bad.status).send({ error: 'bad request' });
  });
  app.get('/server-error', (_request, reply) => {
    reply.code(ROUTES.serverError.status).send({ error: 'unavailable' });
  });
  app.get('/stream', (_request, reply) => {
    reply
      .type('text/event-stream')
      .header('cache-control', 'no-cache')
      .send(Readable.from(streamFrames()));
  });
  app.get('/slow', async () => {
    await sleep(ROUTES.slow.delayMs);
    return { slow: true };
  });
  app.get('/health', async () => ({ status: 'ok' }));
  return app;
}

/** Listens on a loopback port. */
export async function listen(app: FastifyInstance): Promise<ConformanceServer> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}
