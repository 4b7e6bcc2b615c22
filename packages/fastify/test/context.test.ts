import { request as httpRequest } from 'node:http';
import { trace } from '@opentelemetry/api';
import { CheckTelemetry, sleep } from '@otel-http/conformance';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onlySpan, startApp, type TestApp } from './telemetry.js';

const telemetry = new CheckTelemetry();
let server: TestApp | undefined;
/** Which span each stage of the lifecycle saw as active, by stage name. */
let seen: Record<string, string | undefined>;

const activeSpanId = () => trace.getActiveSpan()?.spanContext().spanId;

beforeEach(() => {
  seen = {};
});

afterEach(async () => {
  await server?.app.close();
  server = undefined;
  telemetry.exporter.reset();
});

/** Sends a JSON body in two chunks some milliseconds apart, so that body parsing spans socket reads. */
function postInTwoChunks(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.write('{"name":');
    setTimeout(() => req.end('"ada"}'), 30);
  });
}

describe('the server span is active for the whole lifecycle', () => {
  it('in every later hook and in the handler, across awaits and a body read in pieces', async () => {
    server = await startApp(telemetry, (app) => {
      app.addHook('onRequest', async () => {
        await sleep(1);
        seen.onRequest = activeSpanId();
      });
      app.addHook('preParsing', (_request, _reply, payload, done) => {
        seen.preParsing = activeSpanId();
        done(null, payload);
      });
      app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
        // Parsers run from the body stream's events, outside the context: request.otel reaches
        // the span there.
        seen.bodyParser = request.otel?.span.spanContext().spanId;
        done(null, JSON.parse(body as string));
      });
      app.addHook('preValidation', async () => {
        seen.preValidation = activeSpanId();
      });
      app.addHook('preHandler', async () => {
        await sleep(5);
        seen.preHandler = activeSpanId();
      });
      app.addHook('preSerialization', async (_request, _reply, payload) => {
        seen.preSerialization = activeSpanId();
        return payload;
      });
      app.addHook('onSend', async (_request, _reply, payload) => {
        seen.onSend = activeSpanId();
        return payload;
      });
      app.addHook('onResponse', async () => {
        seen.onResponse = activeSpanId();
      });
      app.post('/echo', async (request) => {
        await sleep(5);
        seen.handler = activeSpanId();
        seen.decoration = request.otel?.span.spanContext().spanId;
        return { received: request.body };
      });
    });

    const response = await postInTwoChunks(server.port, '/echo');
    expect(response).toEqual({ status: 200, body: '{"received":{"name":"ada"}}' });

    const span = onlySpan(await telemetry.waitForSpans(1), 'POST /echo');
    const spanId = span.spanContext().spanId;
    expect(seen).toEqual({
      onRequest: spanId,
      preParsing: spanId,
      bodyParser: spanId,
      preValidation: spanId,
      preHandler: spanId,
      handler: spanId,
      decoration: spanId,
      preSerialization: spanId,
      onSend: spanId,
      onResponse: spanId,
    });
  });

  it('in the hooks of an encapsulated, prefixed child plugin and in route-level hooks', async () => {
    server = await startApp(telemetry, async (app) => {
      await app.register(
        async (child) => {
          child.addHook('preHandler', (_request, _reply, done) => {
            // A callback-style hook that finishes later still hands the context on.
            setTimeout(() => {
              seen.childHook = activeSpanId();
              done();
            }, 5);
          });
          child.get(
            '/items/:itemId',
            {
              preHandler: async () => {
                seen.routeHook = activeSpanId();
              },
            },
            async () => {
              seen.handler = activeSpanId();
              return 'ok';
            },
          );
        },
        { prefix: '/api/v1' },
      );
    });

    await (await fetch(`${server.url}/api/v1/items/1`)).text();

    const spanId = onlySpan(
      await telemetry.waitForSpans(1),
      'GET /api/v1/items/:itemId',
    ).spanContext().spanId;
    expect(seen).toEqual({ childHook: spanId, routeHook: spanId, handler: spanId });
  });

  it('in a custom error handler and a custom not-found handler', async () => {
    server = await startApp(telemetry, (app) => {
      app.setErrorHandler((error: Error, _request, reply) => {
        seen.errorHandler = activeSpanId();
        reply.code(500).send({ message: error.message });
      });
      app.setNotFoundHandler((_request, reply) => {
        seen.notFoundHandler = activeSpanId();
        reply.code(404).send({ message: 'nothing here' });
      });
      app.get('/throws', async () => {
        await sleep(1);
        throw new Error('nope');
      });
    });

    await (await fetch(`${server.url}/throws`)).text();
    await (await fetch(`${server.url}/missing`)).text();

    const spans = await telemetry.waitForSpans(2);
    expect(seen.errorHandler).toBe(onlySpan(spans, 'GET /throws').spanContext().spanId);
    expect(seen.notFoundHandler).toBe(onlySpan(spans, 'GET').spanContext().spanId);
  });

  it('makes spans started in the handler children of the server span', async () => {
    const tracer = telemetry.options.tracerProvider?.getTracer('app') ?? trace.getTracer('app');
    server = await startApp(telemetry, (app) => {
      app.get('/work', async () => {
        await sleep(1);
        return tracer.startActiveSpan('load', async (child) => {
          await sleep(5);
          child.end();
          return 'done';
        });
      });
    });

    await (await fetch(`${server.url}/work`)).text();

    const spans = await telemetry.waitForSpans(2);
    const serverSpan = onlySpan(spans, 'GET /work');
    const child = onlySpan(spans, 'load');
    expect(child.parentSpanContext?.spanId).toBe(serverSpan.spanContext().spanId);
    expect(child.spanContext().traceId).toBe(serverSpan.spanContext().traceId);
  });

  it('keeps requests apart: concurrent requests each see their own span', async () => {
    server = await startApp(telemetry, (app) => {
      app.get('/users/:id', async (request) => {
        const { id } = request.params as { id: string };
        // Interleave the requests so that a leaked context would show.
        await sleep(20 - Number(id) * 3);
        return { id, spanId: activeSpanId() };
      });
    });

    const ids = ['1', '2', '3', '4', '5'];
    const bodies = await Promise.all(
      ids.map(
        async (id) =>
          (await fetch(`${server?.url}/users/${id}`)).json() as Promise<{
            id: string;
            spanId: string;
          }>,
      ),
    );

    const spans = await telemetry.waitForSpans(ids.length);
    expect(spans).toHaveLength(ids.length);
    for (const body of bodies) {
      const span = spans.find((s) => s.attributes['url.path'] === `/users/${body.id}`);
      expect(body.spanId).toBe(span?.spanContext().spanId);
    }
  });
});
