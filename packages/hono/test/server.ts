import { serve } from '@hono/node-server';
import { type ConformanceServer, whenListening } from '@otel-http/conformance';
import type { Hono } from 'hono';

/**
 * Serves `app` with `@hono/node-server` on 127.0.0.1, port 0; `close` also drops kept-alive
 * connections.
 */
export function listen(app: Pick<Hono, 'fetch'>): Promise<ConformanceServer> {
  return whenListening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }));
}
