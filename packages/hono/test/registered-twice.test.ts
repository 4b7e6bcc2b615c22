import { DiagLogLevel, diag } from '@opentelemetry/api';
import { CheckTelemetry, type ConformanceServer, registerGlobals } from '@otel-http/conformance';
import { Hono } from 'hono';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { otel } from '../src/index.js';
import { listen } from './server.js';

const telemetry = new CheckTelemetry();
const unregisterGlobals = registerGlobals();
const running: ConformanceServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
  telemetry.exporter.reset();
  diag.disable();
});
afterAll(async () => {
  await telemetry.shutdown();
  unregisterGlobals();
});

describe('the middleware registered twice', () => {
  it('a mounted sub-app with its own otel(): one span and one duration per request, said once', async () => {
    const warnings: string[] = [];
    diag.setLogger(
      {
        error() {},
        warn: (...args: unknown[]) => warnings.push(args.join(' ')),
        info() {},
        debug() {},
        verbose() {},
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    const users = new Hono();
    users.use(otel(telemetry.options));
    users.get('/:id', (c) => c.text('ok'));
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.route('/users', users);
    const server = await listen(app);
    running.push(server);

    for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/users/${i}`)).status).toBe(200);
    await telemetry.waitForSpans(3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(telemetry.serverSpans().map((span) => span.name)).toEqual([
      'GET /users/:id',
      'GET /users/:id',
      'GET /users/:id',
    ]);
    const points = await telemetry.histogram('http.server.request.duration');
    expect(points.reduce((sum, point) => sum + point.value.count, 0)).toBe(3);
    expect(warnings.filter((w) => w.includes('second otel-http middleware'))).toHaveLength(1);
  });

  it('app.use(otel()) twice on one app: one span per request', async () => {
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.use(otel(telemetry.options));
    app.get('/items/:id', (c) => c.text('ok'));
    const server = await listen(app);
    running.push(server);
    expect((await fetch(`${server.url}/items/1`)).status).toBe(200);
    await telemetry.waitForSpans(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(telemetry.serverSpans().map((span) => span.name)).toEqual(['GET /items/:id']);
  });
});
