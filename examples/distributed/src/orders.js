// Second in the chain, on Express: loads the order from its database, then asks pricing for a quote.
import { once } from 'node:events';
import { fetchWithTracing } from '@otel-http/core';
import { otel } from '@otel-http/express';
import express from 'express';
import { jsonOf, service } from './service.js';

const { log, urlOf, query, run } = service('orders');

const ORDERS = new Map([
  ['1', { id: '1', items: [{ productId: 'p1', quantity: 1 }] }],
  [
    '2',
    {
      id: '2',
      items: [
        { productId: 'p1', quantity: 2 },
        { productId: 'p3', quantity: 1 },
      ],
    },
  ],
]);

const app = express();
app.use(otel());

app.get('/orders/:id', async (req, res) => {
  const order = await query('SELECT', 'orders', 'SELECT id, items FROM orders WHERE id = ?', () =>
    ORDERS.get(req.params.id),
  );
  log.info({ orderId: req.params.id, found: order !== undefined }, 'order lookup');
  if (order === undefined) {
    res.status(404).json({ error: `no order ${req.params.id}` });
    return;
  }
  const quote = await jsonOf(
    await fetchWithTracing(`${urlOf('pricing')}/quotes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: order.items }),
    }),
  );
  if (quote.status !== 200) res.status(quote.status).json(quote.body);
  else res.json({ ...order, quote: quote.body });
});

await run(async ({ port, host }) => {
  const server = app.listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
});
