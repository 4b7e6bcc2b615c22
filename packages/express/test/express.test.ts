import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  CheckTelemetry,
  type ConformanceServer,
  registerGlobals,
  sleep,
  waitFor,
} from '@otel-http/conformance';
import express5, { type ErrorRequestHandler, type Express } from 'express';
import express4 from 'express4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OtelHttpOptions, otel } from '../src/index.js';
import { type ExpressModule, expressVersion, listen } from './standard-app.js';

let unregisterGlobals: () => void;
beforeAll(() => {
  unregisterGlobals = registerGlobals();
});
afterAll(() => unregisterGlobals());

interface Running {
  readonly server: ConformanceServer;
  readonly telemetry: CheckTelemetry;
  get(path: string, init?: RequestInit): Promise<{ status: number; body: string }>;
  spans(count: number): Promise<ReadableSpan[]>;
}

const running: Running[] = [];
afterEach(async () => {
  for (const { server, telemetry } of running.splice(0)) {
    await server.close();
    await telemetry.shutdown();
  }
});

/** Builds an app with `build` (which must install `otel(options)` first) and serves it. */
async function serve(
  build: (options: OtelHttpOptions) => Express,
  options: OtelHttpOptions = {},
): Promise<Running> {
  const telemetry = new CheckTelemetry();
  const app = build({
    ...options,
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
  });
  app.set('env', 'test');
  const server = await listen(app);
  const run: Running = {
    server,
    telemetry,
    async get(path, init) {
      const response = await fetch(`${server.url}${path}`, init);
      return { status: response.status, body: await response.text() };
    },
    async spans(count) {
      await waitFor(`${count} span(s)`, () =>
        telemetry.serverSpans().length >= count ? true : undefined,
      );
      await sleep(30);
      expect(telemetry.serverSpans()).toHaveLength(count);
      return telemetry.serverSpans();
    },
  };
  running.push(run);
  return run;
}

/**
 * Every way of writing `path` in upper and lower case, letter by letter over its first letters
 * (48 variants at most), the way a client can write any path Express matches without regard to case.
 */
function caseVariants(path: string, limit = 48): string[] {
  const letters = [...path].flatMap((char, i) => (/[a-z]/i.test(char) ? [i] : []));
  const variants = new Set<string>();
  for (let mask = 0; variants.size < limit && mask < 2 ** Math.min(letters.length, 16); mask++) {
    const chars = [...path];
    letters.forEach((at, bit) => {
      if (bit < 16 && mask & (1 << bit)) chars[at] = (chars[at] as string).toUpperCase();
    });
    variants.add(chars.join(''));
  }
  return [...variants];
}

/** The `http.route` values of the duration histogram's series. */
async function durationRoutes(app: Running): Promise<unknown[]> {
  const points = await app.telemetry.histogram('http.server.request.duration');
  return points.map((point) => point.attributes['http.route']);
}

const exceptionEvents = (span: ReadableSpan | undefined) =>
  span?.events.filter((event) => event.name === 'exception') ?? [];

class TeapotError extends Error {
  override name = 'TeapotError';
}

for (const express of [express5, express4] as ExpressModule[]) {
  const version = expressVersion(express);
  const handlesPromises = express === express5;

  describe(`express ${version}: route capture`, () => {
    it('includes every mount prefix of nested routers', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const api = express.Router();
        const v2 = express.Router();
        v2.get('/orders/:orderId', (req, res) => {
          res.json({ baseUrl: req.baseUrl, path: req.route.path });
        });
        api.use('/v2', v2);
        app.use('/api', api);
        return app;
      });
      const response = await app.get('/api/v2/orders/17');
      // What the application reads is unchanged.
      expect(JSON.parse(response.body)).toEqual({ baseUrl: '/api/v2', path: '/orders/:orderId' });
      const [span] = await app.spans(1);
      expect(span?.name).toBe('GET /api/v2/orders/:orderId');
    });

    it('includes the mount path of a sub-app and of a router inside it', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const admin = express();
        admin.get('/users/:id', (_req, res) => {
          res.send('user');
        });
        const reports = express.Router();
        reports.get('/:year', (_req, res) => {
          res.send('report');
        });
        admin.use('/reports', reports);
        app.use('/admin', admin);
        return app;
      });
      expect((await app.get('/admin/users/3')).status).toBe(200);
      expect((await app.get('/admin/reports/2024')).status).toBe(200);
      const names = (await app.spans(2)).map((span) => span.name);
      expect(names).toEqual(['GET /admin/users/:id', 'GET /admin/reports/:year']);
    });

    it('keeps parameters of a mount path as parameters, so clients cannot grow the label set', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const projects = express.Router({ mergeParams: true });
        projects.get('/projects/:projectId', (req, res) => {
          res.json(req.params);
        });
        app.use('/orgs/:orgId', projects);
        return app;
      });
      const response = await app.get('/orgs/acme/projects/9');
      expect(JSON.parse(response.body)).toEqual({ orgId: 'acme', projectId: '9' });
      await app.get('/orgs/other%20org/projects/10');
      const spans = await app.spans(2);
      expect(spans.map((span) => span.name)).toEqual([
        'GET /orgs/:orgId/projects/:projectId',
        'GET /orgs/:orgId/projects/:projectId',
      ]);
    });

    it('reports the route that answers when an earlier matching route passes on', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        app.get('/files/:name', (_req, _res, next) => next('route'));
        app.get('/files/latest', (_req, res) => {
          res.send('latest');
        });
        return app;
      });
      expect((await app.get('/files/latest')).body).toBe('latest');
      const [span] = await app.spans(1);
      expect(span?.name).toBe('GET /files/latest');
      expect(exceptionEvents(span)).toEqual([]);
    });

    it('reports a route declared with several paths as declared', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        app.get(['/a', '/b'], (_req, res) => {
          res.send('ok');
        });
        return app;
      });
      await app.get('/b');
      const [span] = await app.spans(1);
      expect(span?.name).toBe('GET /a,/b');
    });

    it('tells apart a parent and a child mount parameter with the same value', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const teams = express.Router({ mergeParams: true });
        teams.get('/members/:memberId', (req, res) => {
          res.json(req.params);
        });
        const orgs = express.Router({ mergeParams: true });
        orgs.use('/teams/:teamId', teams);
        app.use('/orgs/:orgId', orgs);
        return app;
      });
      const response = await app.get('/orgs/7/teams/7/members/7');
      expect(JSON.parse(response.body)).toEqual({ orgId: '7', teamId: '7', memberId: '7' });
      const [span] = await app.spans(1);
      expect(span?.name).toBe('GET /orgs/:orgId/teams/:teamId/members/:memberId');
    });

    it('forgets a parameterised mount the request left before a literal one answered', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const byId = express.Router();
        byId.get('/never', (_req, res) => {
          res.send('never');
        });
        const literal = express.Router();
        literal.get('/list', (_req, res) => {
          res.send('list');
        });
        app.use('/:section', byId);
        app.use('/items', literal);
        return app;
      });
      expect((await app.get('/items/list')).body).toBe('list');
      const [span] = await app.spans(1);
      expect(span?.name).toBe('GET /items/list');
    });

    it('finds parameterised mounts inside a sub-app, from its first request on', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const tenant = express();
        const docs = express.Router();
        docs.get('/docs/:docId', (_req, res) => {
          res.send('doc');
        });
        tenant.use('/spaces/:spaceId', docs);
        app.use('/tenant', tenant);
        return app;
      });
      for (const path of ['/tenant/spaces/a/docs/1', '/tenant/spaces/b/docs/2']) {
        expect((await app.get(path)).status).toBe(200);
      }
      const names = (await app.spans(2)).map((span) => span.name);
      expect(names).toEqual([
        'GET /tenant/spaces/:spaceId/docs/:docId',
        'GET /tenant/spaces/:spaceId/docs/:docId',
      ]);
    });

    it('captures the route of a sub-app mounted on a router', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const billing = express();
        billing.get('/invoices/:invoiceId', (req, res) => {
          res.json({ path: req.route.path });
        });
        const v1 = express.Router();
        v1.use('/billing', billing);
        app.use('/v1', v1);
        return app;
      });
      expect(JSON.parse((await app.get('/v1/billing/invoices/5')).body)).toEqual({
        path: '/invoices/:invoiceId',
      });
      const [span] = await app.spans(1);
      expect(span?.name).toBe('GET /v1/billing/invoices/:invoiceId');
    });

    it('sees mounts added after the first request', async () => {
      let late: Express | undefined;
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        app.get('/first', (_req, res) => {
          res.send('first');
        });
        late = app;
        return app;
      });
      await app.get('/first');
      const shelves = express.Router();
      shelves.get('/books/:bookId', (_req, res) => {
        res.send('book');
      });
      late?.use('/shelves/:shelfId', shelves);
      expect((await app.get('/shelves/s1/books/b1')).body).toBe('book');
      const names = (await app.spans(2)).map((span) => span.name);
      expect(names).toEqual(['GET /first', 'GET /shelves/:shelfId/books/:bookId']);
    });

    it('reports a mount path as declared, whatever letter case the request used', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const users = express.Router();
        users.get('/users/:id', (_req, res) => {
          res.send('user');
        });
        const v1 = express.Router();
        v1.use('/Admin', users);
        app.use('/api', v1);
        return app;
      });
      const paths = caseVariants('/api/admin/users/1');
      for (const path of paths) expect((await app.get(path)).status).toBe(200);
      const names = new Set((await app.spans(paths.length)).map((span) => span.name));
      expect(names).toEqual(new Set(['GET /api/Admin/users/:id']));
      expect(await durationRoutes(app)).toEqual(['/api/Admin/users/:id']);
    });

    it('reports a parameterised mount as declared when a value equals one of its literals', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const projects = express.Router({ mergeParams: true });
        projects.get('/projects/:pid', (req, res) => {
          res.json(req.params);
        });
        app.use('/orgs/:orgId', projects);
        return app;
      });
      const response = await app.get('/orgs/orgs/projects/1');
      expect(JSON.parse(response.body)).toEqual({ orgId: 'orgs', pid: '1' });
      await app.get('/ORGS/projects/projects/projects');
      const names = (await app.spans(2)).map((span) => span.name);
      expect(names).toEqual(['GET /orgs/:orgId/projects/:pid', 'GET /orgs/:orgId/projects/:pid']);
    });

    it('follows case-sensitive and strict routers and apps: what they match keeps its template', async () => {
      const app = await serve((options) => {
        const app = express();
        app.set('case sensitive routing', true);
        app.set('strict routing', true);
        app.use(otel(options));
        const exact = express.Router({ caseSensitive: true, strict: true });
        exact.get('/Items/:itemId/', (_req, res) => {
          res.send('exact');
        });
        const loose = express.Router();
        loose.get('/items/:itemId', (_req, res) => {
          res.send('loose');
        });
        app.use('/Exact', exact);
        app.use('/Loose', loose);
        return app;
      });
      const answers: Record<string, number> = {};
      const paths = [
        ...caseVariants('/exact/items/1/'),
        '/Exact/Items/1',
        ...caseVariants('/loose/items/2'),
        '/Loose/ITEMS/2',
        '/Loose/items/2/',
      ];
      for (const path of paths) answers[path] = (await app.get(path)).status;
      expect(answers).toMatchObject({
        '/Exact/Items/1/': 200,
        '/Exact/Items/1': 404,
        '/Exact/items/1/': 404,
        '/exact/Items/1/': 404,
        '/Loose/items/2': 200,
        '/Loose/ITEMS/2': 200,
        '/Loose/items/2/': 200,
        '/loose/items/2': 404,
      });
      const names = new Set((await app.spans(paths.length)).map((span) => span.name));
      expect(names).toEqual(
        new Set(['GET', 'GET /Exact/Items/:itemId/', 'GET /Loose/items/:itemId']),
      );
    });

    it('reports a mount declared with a pattern or several paths as declared', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const files = express.Router();
        files.get('/:name', (_req, res) => {
          res.send('file');
        });
        app.use(['/docs', '/Files'], files);
        return app;
      });
      for (const path of ['/docs/a', '/DOCS/b', '/files/c', '/FILES/d']) {
        expect((await app.get(path)).status).toBe(200);
      }
      const names = new Set((await app.spans(4)).map((span) => span.name));
      expect(names.size).toBe(1);
      const [name] = names;
      // Express 4 compiles the paths into one expression; Express 5 keeps the list.
      expect(name).not.toMatch(/DOCS|FILES|files\/:name|\/[abcd]$/);
    });

    it('leaves req.route readable where Express sets it, also for ignored requests', async () => {
      const seen: unknown[] = [];
      const app = await serve(
        (options) => {
          const app = express();
          app.use(otel(options));
          app.get('/health', (req, res) => {
            seen.push(req.route?.path);
            res.send('ok');
          });
          app.get('/users/:id', (req, res) => {
            seen.push(req.route?.path, Object.keys(req).includes('route'));
            res.send('user');
          });
          return app;
        },
        { ignore: '/health' },
      );
      await app.get('/health');
      await app.get('/users/1');
      await app.spans(1);
      expect(seen).toEqual(['/health', '/users/:id', false]);
    });
  });

  describe(`express ${version}: errors`, () => {
    /** An app whose own error middleware records every error it receives, then answers. */
    function appWithErrorHandler(
      options: OtelHttpOptions,
      seen: unknown[],
      status: number,
      routes: (app: Express) => void,
    ): Express {
      const app = express();
      app.use(otel(options));
      routes(app);
      const handler: ErrorRequestHandler = (error, _req, res, _next) => {
        seen.push(error);
        res.status(status).json({ handled: (error as Error).message });
      };
      app.use(handler);
      return app;
    }

    const failures = {
      thrown: (error: Error) => () => {
        throw error;
      },
      rejected: (error: Error) => async () => {
        await sleep(1);
        throw error;
      },
      'passed to next':
        (error: Error) => (_req: unknown, _res: unknown, next: (e: Error) => void) =>
          setImmediate(() => next(error)),
    };

    for (const [how, handlerFor] of Object.entries(failures)) {
      // Express 4 leaves a rejected promise unhandled (and so does the adapter): nothing to test.
      if (how === 'rejected' && !handlesPromises) continue;
      it(`an error ${how} reaches the application's error handler once, unchanged, and is recorded`, async () => {
        const error = new TeapotError(`failure ${how}`);
        const seen: unknown[] = [];
        const app = await serve((options) =>
          appWithErrorHandler(options, seen, 500, (app) => {
            const nested = express.Router();
            nested.get('/fail', handlerFor(error));
            app.use('/nested', nested);
          }),
        );
        const response = await app.get('/nested/fail');
        expect(response).toEqual({ status: 500, body: JSON.stringify({ handled: error.message }) });
        const [span] = await app.spans(1);
        expect(seen).toHaveLength(1);
        expect(seen[0]).toBe(error);
        expect(span?.name).toBe('GET /nested/fail');
        expect(span?.status.code).toBe(SpanStatusCode.ERROR);
        expect(span?.attributes['error.type']).toBe('TeapotError');
        expect(exceptionEvents(span)).toHaveLength(1);
      });
    }

    it("the application's answer to an error is what the client gets, even a 4xx", async () => {
      const error = new TeapotError('short and stout');
      const seen: unknown[] = [];
      const app = await serve((options) =>
        appWithErrorHandler(options, seen, 418, (app) => {
          app.get('/teapot', () => {
            throw error;
          });
        }),
      );
      expect(await app.get('/teapot')).toEqual({
        status: 418,
        body: JSON.stringify({ handled: 'short and stout' }),
      });
      const [span] = await app.spans(1);
      expect(seen).toEqual([error]);
      expect(span?.attributes['http.response.status_code']).toBe(418);
    });

    it('an error handler inside a route is still called as one (arity kept)', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        const routeErrorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
          res.status(502).send(`route handler saw ${(error as Error).name}`);
        };
        app.get(
          '/guarded',
          () => {
            throw new TeapotError('inner');
          },
          routeErrorHandler,
        );
        return app;
      });
      expect(await app.get('/guarded')).toEqual({
        status: 502,
        body: 'route handler saw TeapotError',
      });
      const [span] = await app.spans(1);
      expect(span?.attributes['error.type']).toBe('TeapotError');
    });

    it('wraps each route handler once, keeping its name and arity', async () => {
      const router = express.Router();
      function showUser(_req: unknown, res: { send(body: string): void }) {
        res.send('user');
      }
      router.get('/users/:id', showUser);
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        app.use(router);
        return app;
      });
      type RouteLayer = { handle: (...args: never) => unknown };
      const layer = () =>
        (router.stack[0]?.route as unknown as { stack: RouteLayer[] } | undefined)?.stack[0];
      await app.get('/users/1');
      const wrapped = layer()?.handle;
      await app.get('/users/2');
      expect(layer()?.handle).toBe(wrapped);
      expect(wrapped?.name).toBe('showUser');
      expect(wrapped?.length).toBe(2);
      await app.spans(2);
    });

    it('ignored requests go through the wrapped handlers untouched', async () => {
      const app = await serve(
        (options) => {
          const app = express();
          app.use(otel(options));
          app.get('/health', (_req, res) => {
            res.send('ok');
          });
          app.get('/users/:id', (_req, res) => {
            res.send('user');
          });
          return app;
        },
        { ignore: '/health' },
      );
      await app.get('/users/1');
      expect(await app.get('/health')).toEqual({ status: 200, body: 'ok' });
      const spans = await app.spans(1);
      expect(spans[0]?.name).toBe('GET /users/:id');
    });
  });

  describe(`express ${version}: registration`, () => {
    it('registered twice, still one span per request', async () => {
      const app = await serve((options) => {
        const app = express();
        app.use(otel(options));
        app.use(otel(options));
        app.get('/twice', (_req, res) => {
          res.send('ok');
        });
        return app;
      });
      await app.get('/twice');
      const spans = await app.spans(1);
      expect(spans[0]?.name).toBe('GET /twice');
    });
  });
}

describe('outside an Express application', () => {
  it("serves a plain Node request and leaves Node's request prototype alone", async () => {
    const telemetry = new CheckTelemetry();
    const middleware = otel({
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
    });
    const server = createServer((req, res) => {
      middleware(req as never, res as never, () => {
        (req as { route?: unknown }).route = { path: '/not-express' };
        res.end('plain');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/plain`);
      expect(await response.text()).toBe('plain');
      await waitFor('1 span', () => (telemetry.serverSpans().length === 1 ? true : undefined));
      expect(telemetry.serverSpans()[0]?.name).toBe('GET');
      expect(Object.getOwnPropertyDescriptor(IncomingMessage.prototype, 'route')).toBeUndefined();
      expect(Object.hasOwn(IncomingMessage.prototype, 'emit')).toBe(false);
      expect(Object.hasOwn(ServerResponse.prototype, 'emit')).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await telemetry.shutdown();
    }
  });
});
