// The entry of the chain, on Hono: the public API, which forwards to orders.
import { serve } from '@hono/node-server';
import { fetchWithTracing } from '@otel-http/core';
import { otel } from '@otel-http/hono';
import { Hono } from 'hono';
import { jsonOf, service } from './service.js';

const { log, urlOf, run } = service('gateway');

const app = new Hono();
// The gateway faces clients, but here the client is trusted to start the trace (the compare command
// sends a `traceparent` to find its request again). A public edge would pass
// `trustRemoteContext: false`, which starts a new trace linked to the caller's.
app.use(otel());

// The Go hop (examples/go, storefront on Gin) answers the same path as orders and forwards to it;
// the gateway calls it when it runs.
const next = process.env.STOREFRONT_URL || urlOf('orders');

app.get('/api/orders/:id', async (c) => {
  const id = c.req.param('id');
  const { status, body } = await jsonOf(
    await fetchWithTracing(`${next}/orders/${encodeURIComponent(id)}`),
  );
  log.info({ orderId: id, status }, 'order forwarded');
  return c.json(body, status);
});

await run(
  ({ port, host }) =>
    new Promise((resolve) => {
      const server = serve({ fetch: app.fetch, port, hostname: host }, (address) =>
        resolve({
          url: `http://${host}:${address.port}`,
          close: () => new Promise((done) => server.close(done)),
        }),
      );
    }),
);
