// The end of the chain, on Koa: stock and unit price of one product.
import Router from '@koa/router';
import { otel } from '@otel-http/koa';
import Koa from 'koa';
import { service } from './service.js';

const { log, query, run } = service('inventory');

const STOCK = new Map([
  ['p1', { sku: 'p1', available: 12, unitPrice: 49 }],
  ['p2', { sku: 'p2', available: 0, unitPrice: 19 }],
  ['p3', { sku: 'p3', available: 3, unitPrice: 199 }],
]);

const app = new Koa();
app.use(otel());

const router = new Router();
router.get('/stock/:sku', async (ctx) => {
  const sku = ctx.params.sku;
  const stock = await query(
    'SELECT',
    'stock',
    'SELECT available, unit_price FROM stock WHERE sku = ?',
    () => STOCK.get(sku),
  );
  log.info({ sku, found: stock !== undefined }, 'stock lookup');
  if (stock === undefined) {
    ctx.status = 404;
    ctx.body = { error: `no product ${sku}` };
  } else ctx.body = stock;
});
app.use(router.routes());

await run(({ port, host }) => {
  const server = app.listen(port, host);
  return new Promise((resolve) =>
    server.once('listening', () =>
      resolve({
        url: `http://${host}:${server.address().port}`,
        close: () => new Promise((done) => server.close(done)),
      }),
    ),
  );
});
