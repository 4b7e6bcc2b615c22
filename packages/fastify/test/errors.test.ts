import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { CheckTelemetry, sleep } from '@otel-http/conformance';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { onlySpan, startApp, type TestApp } from './telemetry.js';

class PaymentError extends Error {
  override name = 'PaymentError';
}

/** An error that tells Fastify which status to answer with. */
class ConflictError extends Error {
  override name = 'ConflictError';
  statusCode = 409;
}

class QuotaError extends Error {
  override name = 'QuotaError';
}

const telemetry = new CheckTelemetry();
const servers: FastifyInstance[] = [];
let errorHandlerCalls = 0;

afterEach(async () => {
  await Promise.all(servers.splice(0).map((app) => app.close()));
  telemetry.exporter.reset();
  errorHandlerCalls = 0;
});

/** Routes whose errors go through Fastify's default and custom error handling. */
async function errorRoutes(app: FastifyInstance) {
  app.get('/default/throw', async () => {
    await sleep(1);
    throw new PaymentError('declined');
  });
  app.get('/default/status-error', async () => {
    throw new ConflictError('already exists');
  });
  app.get('/default/send-error', (_request, reply) => {
    reply.send(new PaymentError('sent, not thrown'));
  });
  app.get(
    '/default/invalid',
    {
      schema: {
        querystring: { type: 'object', required: ['q'], properties: { q: { type: 'string' } } },
      },
    },
    async () => 'valid',
  );
  app.addHook('onRequest', async (request) => {
    if (request.url === '/default/hook-throws') throw new PaymentError('from a hook');
  });
  app.get('/default/hook-throws', async () => 'unreachable');

  await app.register(
    async (custom) => {
      custom.setErrorHandler((error: Error, _request, reply) => {
        errorHandlerCalls++;
        if (error instanceof QuotaError) {
          reply.code(503).send({ retry: true });
        } else if (error instanceof ConflictError) {
          reply.code(200).send({ recovered: true });
        } else {
          reply.code(422).send({ problem: error.message });
        }
      });
      custom.get('/unprocessable/:id', async () => {
        throw new PaymentError('cannot process');
      });
      custom.get('/unavailable', async () => {
        throw new QuotaError('over quota');
      });
      custom.get('/recovered', async () => {
        throw new ConflictError('handled');
      });
    },
    { prefix: '/custom' },
  );

  await app.register(
    async (pages) => {
      pages.setNotFoundHandler((request, reply) => {
        if (request.url.startsWith('/spa/app')) {
          // A single-page app's fallback answers 200 for any path.
          reply.code(200).type('text/html').send('<html></html>');
        } else {
          reply.code(404).send({ missing: request.url });
        }
      });
    },
    { prefix: '/spa' },
  );
}

async function listen(app: FastifyInstance): Promise<string> {
  servers.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

async function get(url: string) {
  const response = await fetch(url);
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  };
}

function exceptionTypes(span: ReadableSpan): unknown[] {
  return span.events
    .filter((e) => e.name === 'exception')
    .map((e) => e.attributes?.['exception.type']);
}

describe('errors and error handlers', () => {
  const paths = [
    '/default/throw',
    '/default/status-error',
    '/default/send-error',
    '/default/invalid',
    '/default/hook-throws',
    '/custom/unprocessable/1',
    '/custom/unavailable',
    '/custom/recovered',
    '/spa/nowhere',
    '/spa/app/settings',
    '/elsewhere',
  ];

  it('leave every reply exactly as Fastify sends it without the plugin', async () => {
    const plain = Fastify();
    await errorRoutes(plain);
    const plainUrl = await listen(plain);
    const withOtel: TestApp = await startApp(telemetry, errorRoutes);
    servers.push(withOtel.app);

    for (const path of paths) {
      const before = errorHandlerCalls;
      const expected = await get(`${plainUrl}${path}`);
      const callsWithout = errorHandlerCalls - before;
      const actual = await get(`${withOtel.url}${path}`);
      expect({ path, ...actual }).toEqual({ path, ...expected });
      // The custom error handler runs once per request, plugin or not.
      expect(errorHandlerCalls - before).toBe(callsWithout * 2);
    }
    expect(await telemetry.waitForSpans(paths.length)).toHaveLength(paths.length);
  });

  it.each([
    // path, span name, status code, span status, error.type, exception types
    [
      '/default/throw',
      'GET /default/throw',
      500,
      SpanStatusCode.ERROR,
      'PaymentError',
      ['PaymentError'],
    ],
    [
      '/default/send-error',
      'GET /default/send-error',
      500,
      SpanStatusCode.ERROR,
      'PaymentError',
      ['PaymentError'],
    ],
    [
      '/default/hook-throws',
      'GET /default/hook-throws',
      500,
      SpanStatusCode.ERROR,
      'PaymentError',
      ['PaymentError'],
    ],
    [
      '/default/status-error',
      'GET /default/status-error',
      409,
      SpanStatusCode.UNSET,
      undefined,
      [],
    ],
    ['/default/invalid', 'GET /default/invalid', 400, SpanStatusCode.UNSET, undefined, []],
    [
      '/custom/unprocessable/1',
      'GET /custom/unprocessable/:id',
      422,
      SpanStatusCode.UNSET,
      undefined,
      [],
    ],
    [
      '/custom/unavailable',
      'GET /custom/unavailable',
      503,
      SpanStatusCode.ERROR,
      'QuotaError',
      ['QuotaError'],
    ],
    ['/custom/recovered', 'GET /custom/recovered', 200, SpanStatusCode.UNSET, undefined, []],
  ])('%s → %s, %i', async (path, name, status, spanStatus, errorType, exceptions) => {
    const server = await startApp(telemetry, errorRoutes);
    servers.push(server.app);
    expect((await get(`${server.url}${path}`)).status).toBe(status);

    const span = onlySpan(await telemetry.waitForSpans(1), name);
    expect(span.attributes['http.response.status_code']).toBe(status);
    expect(span.status.code).toBe(spanStatus);
    expect(span.attributes['error.type']).toBe(errorType);
    expect(exceptionTypes(span)).toEqual(exceptions);
  });

  it.each([
    ['/spa/nowhere', 404],
    ['/spa/app/settings', 200],
    ['/elsewhere', 404],
  ])(
    'the not-found handler for %s records what the client got (%i), and no route',
    async (path, status) => {
      const server = await startApp(telemetry, errorRoutes);
      servers.push(server.app);
      expect((await get(`${server.url}${path}`)).status).toBe(status);

      const span = onlySpan(await telemetry.waitForSpans(1), 'GET');
      expect(span.attributes['http.route']).toBeUndefined();
      expect(span.attributes['http.response.status_code']).toBe(status);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes['error.type']).toBeUndefined();
    },
  );

  it('keeps the route of a prefixed route whose error an encapsulated handler turns into a 4xx', async () => {
    const server = await startApp(telemetry, errorRoutes);
    servers.push(server.app);
    await get(`${server.url}/custom/unprocessable/7`);

    // Metrics are cumulative over the file: look at this route's points only.
    const points = (await telemetry.histogram('http.server.request.duration')).filter(
      (p) => p.attributes['http.route'] === '/custom/unprocessable/:id',
    );
    expect(points.length).toBeGreaterThan(0);
    for (const point of points) {
      expect(point.attributes['http.response.status_code']).toBe(422);
      expect(point.attributes['error.type']).toBeUndefined();
    }
  });
});
