/**
 * The service a W3C Trace Context test harness drives, once per framework behind its otel-http
 * middleware: `POST /test` with a JSON array of `{ url, arguments }`; for each element the service
 * sends `POST url` with `arguments` as the JSON body through core's `instrumentedFetch` (a CLIENT
 * span per call, its context in the headers), then answers 200 with the statuses it got back. The
 * propagator is the one under test, passed to the middleware and to the outgoing calls.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { TextMapPropagator } from '@opentelemetry/api';
import { type FetchFunction, instrumentedFetch, type OtelHttpOptions } from '@otel-http/core';
import { otel as expressOtel } from '@otel-http/express';
import { otel as fastifyOtel } from '@otel-http/fastify';
import { otel as honoOtel } from '@otel-http/hono';
import { otel as koaOtel } from '@otel-http/koa';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import type { RunningServer } from './targets.js';

export const ADAPTERS = ['express', 'fastify', 'hono', 'koa'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

interface Action {
  url: string;
  arguments?: unknown;
}

/** Calls each action's URL in turn with the active trace context; the statuses, in order. */
async function forward(actions: unknown, fetchTraced: FetchFunction): Promise<number[]> {
  const list: Action[] = Array.isArray(actions) ? actions : [];
  const statuses: number[] = [];
  for (const action of list) {
    if (typeof action?.url !== 'string') continue;
    const response = await fetchTraced(action.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(action.arguments ?? []),
    });
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

async function listen(server: Server): Promise<RunningServer> {
  if (!server.listening) {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts the service for one adapter; `options` must carry the propagator under test. */
export async function startW3CService(
  adapter: AdapterName,
  options: OtelHttpOptions & { propagator: TextMapPropagator },
): Promise<RunningServer> {
  const fetchTraced = instrumentedFetch(fetch, {
    propagator: options.propagator,
    ...(options.tracerProvider && { tracerProvider: options.tracerProvider }),
    ...(options.meterProvider && { meterProvider: options.meterProvider }),
  });
  switch (adapter) {
    case 'express': {
      const app = express();
      app.use(expressOtel(options));
      app.post('/test', express.json(), async (req, res) => {
        res.json({ statuses: await forward(req.body, fetchTraced) });
      });
      return listen(createServer(app));
    }
    case 'fastify': {
      const app = Fastify();
      await app.register(fastifyOtel, options);
      app.post('/test', async (request) => ({
        statuses: await forward(request.body, fetchTraced),
      }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      return listen(app.server);
    }
    case 'hono': {
      const app = new Hono();
      app.use(honoOtel(options));
      app.post('/test', async (c) =>
        c.json({ statuses: await forward(await c.req.json(), fetchTraced) }),
      );
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
      return listen(server);
    }
    case 'koa': {
      const app = new Koa();
      app.use(koaOtel(options));
      app.use(async (ctx) => {
        if (ctx.method !== 'POST' || ctx.path !== '/test') return;
        const chunks: Buffer[] = [];
        for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
        ctx.body = {
          statuses: await forward(JSON.parse(Buffer.concat(chunks).toString('utf8')), fetchTraced),
        };
      });
      return listen(createServer(app.callback()));
    }
  }
}
