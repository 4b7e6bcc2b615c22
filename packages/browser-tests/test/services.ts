/**
 * The service the page calls, in each framework, with that framework's usual CORS middleware set
 * up as a browser-started trace needs it: the page may send `traceparent`, `tracestate` and
 * `baggage`, and may read `traceparent` and `server-timing` back.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyCors from '@fastify/cors';
import { serve } from '@hono/node-server';
import koaCors from '@koa/cors';
import Router from '@koa/router';
import { type ConformanceServer, whenListening } from '@otel-http/conformance';
import type { OtelHttpOptions } from '@otel-http/core';
import { otel as expressOtel } from '@otel-http/express';
import { otel as fastifyOtel } from '@otel-http/fastify';
import { otel as honoOtel } from '@otel-http/hono';
import { otel as koaOtel } from '@otel-http/koa';
import cors from 'cors';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { cors as honoCors } from 'hono/cors';
import Koa from 'koa';

/** The request headers of the trace and its baggage; the CORS preflight must allow them. */
export const TRACE_REQUEST_HEADERS = ['traceparent', 'tracestate', 'baggage'];
/** The trace-response headers `traceResponseHeader` sets; CORS must expose them to the page. */
export const TRACE_RESPONSE_HEADERS = ['traceparent', 'server-timing'];

export interface Service {
  readonly name: string;
  /** Which trace-response header the service sends. */
  readonly traceResponseHeader: 'traceparent' | 'server-timing';
  start(options: OtelHttpOptions, pageOrigin: string): Promise<ConformanceServer>;
}

const reply = (room: string) => ({ room, reply: 'hello' });

export const SERVICES: readonly Service[] = [
  {
    name: 'express',
    traceResponseHeader: 'traceparent',
    async start(options, pageOrigin) {
      const app = express();
      app.use(expressOtel(options));
      app.use(
        cors({
          origin: pageOrigin,
          allowedHeaders: ['content-type', ...TRACE_REQUEST_HEADERS],
          exposedHeaders: TRACE_RESPONSE_HEADERS,
        }),
      );
      app.get('/chat/:room', (req, res) => {
        res.json(reply(req.params.room));
      });
      return whenListening(app.listen(0, '127.0.0.1'));
    },
  },
  {
    name: 'fastify',
    traceResponseHeader: 'server-timing',
    async start(options, pageOrigin) {
      const app = Fastify({ forceCloseConnections: true });
      await app.register(fastifyOtel, options);
      await app.register(fastifyCors, {
        origin: pageOrigin,
        allowedHeaders: ['content-type', ...TRACE_REQUEST_HEADERS],
        exposedHeaders: TRACE_RESPONSE_HEADERS,
      });
      app.get<{ Params: { room: string } }>('/chat/:room', (request) => reply(request.params.room));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
    },
  },
  {
    name: 'hono',
    traceResponseHeader: 'server-timing',
    async start(options, pageOrigin) {
      const app = new Hono();
      app.use(honoOtel(options));
      app.use(
        honoCors({
          origin: pageOrigin,
          allowHeaders: ['content-type', ...TRACE_REQUEST_HEADERS],
          exposeHeaders: TRACE_RESPONSE_HEADERS,
        }),
      );
      app.get('/chat/:room', (c) => c.json(reply(c.req.param('room'))));
      return whenListening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
    },
  },
  {
    name: 'koa',
    traceResponseHeader: 'traceparent',
    async start(options, pageOrigin) {
      const app = new Koa();
      app.use(koaOtel(options));
      app.use(
        koaCors({
          origin: pageOrigin,
          allowHeaders: ['content-type', ...TRACE_REQUEST_HEADERS],
          exposeHeaders: TRACE_RESPONSE_HEADERS,
        }),
      );
      const router = new Router();
      router.get('/chat/:room', (ctx) => {
        ctx.body = reply(ctx.params.room ?? '');
      });
      app.use(router.routes());
      return whenListening(app.listen(0, '127.0.0.1'));
    },
  },
];
