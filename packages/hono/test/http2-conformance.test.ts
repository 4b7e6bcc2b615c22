import http2 from 'node:http2';
import { serve } from '@hono/node-server';
import { ROUTES, runHttp2Conformance, sleep, whenHttp2Listening } from '@otel-http/conformance';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import type { OtelHonoOptions } from '../src/index.js';
import { otel } from '../src/index.js';
import { standardApp } from './standard-app.js';

/**
 * `/stream` for HTTP/2. Hono's `streamSSE` (and `streamText`) set `Transfer-Encoding: chunked`,
 * which Node's HTTP/2 refuses (`ERR_HTTP2_INVALID_CONNECTION_HEADERS`): the response never starts,
 * with or without telemetry. The same events, written with `stream()`, are what runs over HTTP/2.
 */
function http2StreamApp(options: OtelHonoOptions): Hono {
  const app = new Hono();
  app.use(otel(options));
  app.get('/stream', (c) => {
    c.header('content-type', 'text/event-stream');
    c.header('cache-control', 'no-cache');
    return stream(c, async (body) => {
      for (let i = 0; i < ROUTES.stream.events; i++) {
        await sleep(ROUTES.stream.intervalMs);
        await body.write(ROUTES.stream.frame(i));
      }
    });
  });
  return app;
}

// `@hono/node-server` with `createServer` from `node:http2`, cleartext and TLS.
runHttp2Conformance({
  name: 'hono',
  start: async (options, tls) => {
    const app = standardApp(options);
    const streaming = http2StreamApp(options);
    const fetch = (request: Request, env: unknown) =>
      new URL(request.url).pathname === '/stream'
        ? streaming.fetch(request, env)
        : app.fetch(request, env);
    const server = tls
      ? serve({
          fetch,
          port: 0,
          hostname: '127.0.0.1',
          createServer: http2.createSecureServer,
          serverOptions: tls,
        })
      : serve({ fetch, port: 0, hostname: '127.0.0.1', createServer: http2.createServer });
    return whenHttp2Listening(server as http2.Http2Server);
  },
});
