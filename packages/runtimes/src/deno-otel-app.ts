/**
 * A Hono application on Deno.serve with `otel()`, to run with Deno's built-in OpenTelemetry
 * (`OTEL_DENO=true`): no SDK of its own, Deno's providers registered with the API. `/users/:id`
 * calls `fetch` to the URL in `DOWNSTREAM_URL`. Prints `listening <port>` once it serves.
 */
import process from 'node:process';
import { otel } from '@otel-http/hono';
import { Hono } from 'hono';

declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
};

const downstream = process.env.DOWNSTREAM_URL ?? '';
const app = new Hono();
app.use(otel());
app.get('/users/:id', async (c) => {
  const response = await fetch(`${downstream}/downstream`);
  return c.json({ id: c.req.param('id'), downstream: await response.text() });
});
app.get('/boom', () => {
  throw new TypeError('boom');
});

Deno.serve(
  { hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(`listening ${port}`) },
  (request) => app.fetch(request),
);
