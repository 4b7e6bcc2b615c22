import { trace } from '@opentelemetry/api';
import { CheckTelemetry } from '@otel-http/conformance';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { onlySpan, startApp, type TestApp } from './telemetry.js';

const telemetry = new CheckTelemetry();
let server: TestApp | undefined;

afterEach(async () => {
  await server?.app.close();
  server = undefined;
  telemetry.exporter.reset();
});

/** What a handler saw of the telemetry. */
interface Seen {
  decorated: boolean;
  active: boolean;
}

async function routes(app: FastifyInstance) {
  const report = (request: { otel: unknown }): Seen => ({
    decorated: request.otel !== undefined,
    active: trace.getActiveSpan() !== undefined,
  });
  app.get('/metrics', { config: { otel: false } }, async (request) => report(request));
  app.get('/users/:id', async (request) => report(request));
  app.get('/health', async (request) => report(request));
  await app.register(
    async (internal) => {
      internal.get('/status', { config: { otel: false } }, async (request) => report(request));
    },
    { prefix: '/internal' },
  );
}

async function requestCount(): Promise<number> {
  const points = await telemetry.histogram('http.server.request.duration');
  return points.reduce((total, point) => total + point.value.count, 0);
}

describe('leaving requests out', () => {
  it.each([
    ['GET', '/metrics'],
    ['HEAD', '/metrics'],
    ['GET', '/internal/status'],
    ['GET', '/health'],
  ])(
    '%s %s (route config or ignore option): no span, no metric, no decoration',
    async (method, path) => {
      server = await startApp(telemetry, routes, { ignore: '/health' });
      const countBefore = await requestCount();

      const response = await fetch(`${server.url}${path}`, { method });
      expect(response.status).toBe(200);
      if (method === 'GET') {
        expect(await response.json()).toEqual({ decorated: false, active: false });
      }

      // A recorded request next to it proves the telemetry is flowing.
      const recorded = await fetch(`${server.url}/users/1`);
      expect(await recorded.json()).toEqual({ decorated: true, active: true });
      onlySpan(await telemetry.waitForSpans(1), 'GET /users/:id');
      expect(telemetry.spans()).toHaveLength(1);
      expect((await requestCount()) - countBefore).toBe(1);
      expect(await telemetry.counterTotal('http.server.active_requests')).toBe(0);
    },
  );
});
