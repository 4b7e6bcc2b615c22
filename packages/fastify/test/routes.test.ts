import { SpanKind } from '@opentelemetry/api';
import { CheckTelemetry } from '@otel-http/conformance';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { afterEach, describe, expect, it } from 'vitest';
import { otel } from '../src/index.js';
import { onlySpan, startApp, type TestApp } from './telemetry.js';

const telemetry = new CheckTelemetry();
let server: TestApp | undefined;

afterEach(async () => {
  await server?.app.close();
  server = undefined;
  telemetry.exporter.reset();
});

/** One app with routes at every depth of encapsulation and prefixing Fastify offers. */
async function startRoutesApp() {
  return startApp(telemetry, async (app) => {
    app.get('/users/:id', async () => 'root');
    // An encapsulated child plugin without a prefix.
    await app.register(async (child) => {
      child.get('/orders/:orderId', async () => 'child');
    });
    // A prefixed registration, with another prefixed plugin inside it.
    await app.register(
      async (api) => {
        api.get('/items/:itemId', async () => 'prefixed');
        api.get('/', async () => 'prefix root');
        await api.register(
          async (admin) => {
            admin.get('/audit/*', async () => 'nested wildcard');
          },
          { prefix: '/admin' },
        );
        // A non-encapsulated (fastify-plugin) registration still inherits the prefix.
        await api.register(
          fp(async (shared) => {
            shared.get('/shared/:key', async () => 'shared');
          }),
        );
      },
      { prefix: '/api/v1' },
    );
  });
}

describe('route templates', () => {
  it.each([
    ['/users/42', 'GET /users/:id', '/users/:id'],
    ['/orders/7', 'GET /orders/:orderId', '/orders/:orderId'],
    ['/api/v1/items/9', 'GET /api/v1/items/:itemId', '/api/v1/items/:itemId'],
    ['/api/v1/admin/audit/2024/01', 'GET /api/v1/admin/audit/*', '/api/v1/admin/audit/*'],
    ['/api/v1/shared/k1', 'GET /api/v1/shared/:key', '/api/v1/shared/:key'],
  ])('%s is named %s with its full template', async (path, name, route) => {
    server = await startRoutesApp();
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(200);
    await response.text();

    const span = onlySpan(await telemetry.waitForSpans(1), name);
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.attributes['http.route']).toBe(route);
    expect(span.attributes['url.path']).toBe(path);
  });

  it('names the prefix root by the template Fastify registered', async () => {
    server = await startRoutesApp();
    const response = await fetch(`${server.url}/api/v1`);
    expect(response.status).toBe(200);
    await response.text();

    const [span] = await telemetry.waitForSpans(1);
    expect(span?.attributes['http.route']).toBe('/api/v1');
    expect(span?.name).toBe('GET /api/v1');
  });

  it('gives an unmatched request no route, on the span and on the duration metric', async () => {
    server = await startRoutesApp();
    const response = await fetch(`${server.url}/api/v1/missing/123`);
    expect(response.status).toBe(404);
    await response.text();

    const span = onlySpan(await telemetry.waitForSpans(1), 'GET');
    expect(span.attributes['http.route']).toBeUndefined();
    expect(span.attributes['http.response.status_code']).toBe(404);
    const points = await telemetry.histogram('http.server.request.duration');
    const notFound = points.filter((p) => p.attributes['http.response.status_code'] === 404);
    expect(notFound).toHaveLength(1);
    expect(notFound[0]?.attributes['http.route']).toBeUndefined();
  });

  it('names the HEAD route Fastify exposes for a GET route', async () => {
    server = await startRoutesApp();
    const response = await fetch(`${server.url}/api/v1/items/1`, { method: 'HEAD' });
    expect(response.status).toBe(200);

    const span = onlySpan(await telemetry.waitForSpans(1), 'HEAD /api/v1/items/:itemId');
    expect(span.attributes['http.route']).toBe('/api/v1/items/:itemId');
  });

  it('covers routes declared before the plugin finished registering', async () => {
    // Fastify composes a route's hooks once its plugin has loaded, so a root route declared
    // before `register(otel)` resolves is still covered.
    const app = Fastify();
    app.get('/early/:id', async () => 'early');
    app.register(otel, telemetry.options);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    server = { app, url, port: 0 };
    await (await fetch(`${url}/early/1`)).text();

    onlySpan(await telemetry.waitForSpans(1), 'GET /early/:id');
  });
});

describe('registration', () => {
  it('is a named fastify-plugin, visible to dependency checks', async () => {
    server = await startApp(telemetry, () => {});
    expect(server.app.hasPlugin('@otel-http/fastify')).toBe(true);
  });

  it('refuses a second registration in the same tree instead of making two spans per request', async () => {
    const app = Fastify();
    await app.register(otel, telemetry.options);
    app.register(async (child) => {
      await child.register(otel, telemetry.options);
    });
    await expect(app.ready()).rejects.toThrow(/already registered/);
    await app.close();
  });
});

describe('requests Fastify answers before any hook runs', () => {
  it('records a URL Fastify cannot decode and a parameter over maxParamLength, without a route', async () => {
    server = await startApp(
      telemetry,
      (app) => {
        app.get('/users/:id', async () => 'ok');
      },
      {},
      { routerOptions: { maxParamLength: 10 } },
    );
    expect((await fetch(`${server.url}/users/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${server.url}/users/${'x'.repeat(50)}`)).status).toBe(414);
    const spans = await telemetry.waitForSpans(2);
    expect(spans.map((span) => [span.name, span.attributes['http.response.status_code']])).toEqual([
      ['GET', 400],
      ['GET', 414],
    ]);
    for (const span of spans) expect(span.attributes['http.route']).toBeUndefined();
    expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);
  });

  it('leaves them alone when registered inside an encapsulated plugin, which covers only its own routes', async () => {
    const app = Fastify();
    app.get('/outside', async () => 'not instrumented');
    await app.register(async (child) => {
      await child.register(otel, telemetry.options);
      child.get('/inside', async () => 'instrumented');
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await (await fetch(`${url}/outside`)).text();
      await (await fetch(`${url}/inside`)).text();
      const spans = await telemetry.waitForSpans(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(telemetry.spans().map((span) => span.name)).toEqual(['GET /inside']);
      expect(spans).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
