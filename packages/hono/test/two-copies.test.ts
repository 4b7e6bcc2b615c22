import { createRequire } from 'node:module';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { CheckTelemetry, registerGlobals } from '@otel-http/conformance';
import { Hono as EsmHono } from 'hono';
import type { Router } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { otel } from '../src/index.js';
import { nodeServer, type OpenApp, runtimes } from './runtimes.js';

// This package loads Hono's ES module build (as `import('@otel-http/hono')` does); the apps below
// are built with Hono's CommonJS build, as an application that calls `require('hono')` is. The two
// are separate copies of Hono, with separate module-private symbols.
const { Hono } = createRequire(import.meta.url)('hono') as typeof import('hono');

let telemetry: CheckTelemetry;
let unregisterGlobals: () => void;
let opened: OpenApp[] = [];
let warnings: unknown[][] = [];

const collecting: DiagLogger = {
  error: () => {},
  warn: (...args) => void warnings.push(args),
  info: () => {},
  debug: () => {},
  verbose: () => {},
};

beforeEach(() => {
  unregisterGlobals = registerGlobals();
  telemetry = new CheckTelemetry();
  warnings = [];
  diag.setLogger(collecting, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
});

afterEach(async () => {
  await Promise.all(opened.map((app) => app.close()));
  opened = [];
  await telemetry.shutdown();
  diag.disable();
  unregisterGlobals();
});

it('really has two copies of Hono to work with', () => {
  expect(Hono).not.toBe(EsmHono);
});

describe.each(runtimes)('an app built with the other copy of Hono, on $name', (runtime) => {
  it('gets its routes, prefixes included, and leaves a 404 without one', async () => {
    const app = new Hono().basePath('/api');
    app.use(otel(telemetry.options));
    app.use('*', async (_c, next) => next());
    const items = new Hono();
    items.get('/:itemId', (c) => c.json({ id: c.req.param('itemId') }));
    app.route('/items', items);
    app.get('/users/:id', (c) => c.text(`user ${c.req.param('id')}`));
    const server = await runtime.open(app);
    opened.push(server);

    const user = await server.request('/api/users/7');
    expect([user.status, await user.text()]).toEqual([200, 'user 7']);
    const item = await server.request('/api/items/9');
    expect([item.status, await item.json()]).toEqual([200, { id: '9' }]);
    const missing = await server.request('/api/nothing');
    expect(missing.status).toBe(404);
    await missing.text();

    const spans = await telemetry.waitForSpans(3);
    expect(spans.map((span) => [span.name, span.attributes['http.route']])).toEqual([
      ['GET /api/users/:id', '/api/users/:id'],
      ['GET /api/items/:itemId', '/api/items/:itemId'],
      ['GET', undefined],
    ]);
    expect(warnings).toEqual([]);
  });

  it('keeps the handler ahead when a middleware answers first', async () => {
    const app = new Hono();
    app.use(otel(telemetry.options));
    app.use('/admin/*', async (c) => c.text('no', 401));
    app.get('/admin/users/:id', (c) => c.text('never'));
    const server = await runtime.open(app);
    opened.push(server);

    const response = await server.request('/admin/users/1');
    expect([response.status, await response.text()]).toEqual([401, 'no']);
    const [span] = await telemetry.waitForSpans(1);
    expect(span?.name).toBe('GET /admin/users/:id');
  });
});

/** A real router whose match results name no route: nothing of Hono's route helpers can read it. */
class AnonymousRouter<T> implements Router<T> {
  readonly name = 'anonymous';
  readonly #router = new TrieRouter<T>();
  add(method: string, path: string, handler: T): void {
    const [fn] = handler as unknown as [unknown, unknown];
    this.#router.add(method, path, [fn, {}] as unknown as T);
  }
  match(method: string, path: string) {
    return this.#router.match(method, path);
  }
}

it('answers the request unchanged, names the span after the method, and warns once, when the routes cannot be read', async () => {
  const app = new EsmHono({ router: new AnonymousRouter() });
  app.use(otel(telemetry.options));
  app.get('/users/:id', (c) => c.text(`user ${c.req.param('id')}`));
  const server = await nodeServer.open(app);
  opened.push(server);

  for (const id of ['1', '2']) {
    const response = await server.request(`/users/${id}`);
    expect([response.status, await response.text()]).toEqual([200, `user ${id}`]);
  }
  const spans = await telemetry.waitForSpans(2);
  expect(spans.map((span) => [span.name, span.attributes['http.route']])).toEqual([
    ['GET', undefined],
    ['GET', undefined],
  ]);
  expect(warnings).toHaveLength(1);
  // (the first argument is the logger's namespace, `@otel-http/hono`)
  expect(warnings[0]?.map(String).join(' ')).toMatch(/two copies of Hono/);
});
