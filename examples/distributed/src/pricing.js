// Third in the chain, on Fastify: prices a list of items, asking inventory about every product at
// once — two calls in parallel, two CLIENT spans side by side in the trace.
import { fetchWithTracing } from '@otel-http/core';
import { otel } from '@otel-http/fastify';
import Fastify from 'fastify';
import { jsonOf, service } from './service.js';

const { log, urlOf, run } = service('pricing');

const app = Fastify();
await app.register(otel);

app.post('/quotes', async (request, reply) => {
  const items = Array.isArray(request.body?.items) ? request.body.items : [];
  if (items.length === 0) return reply.code(400).send({ error: 'items must be a non-empty list' });
  const answers = await Promise.all(
    items.map(async ({ productId }) =>
      jsonOf(
        await fetchWithTracing(`${urlOf('inventory')}/stock/${encodeURIComponent(productId)}`),
      ),
    ),
  );
  const failed = answers.find((answer) => answer.status !== 200);
  if (failed !== undefined) return reply.code(failed.status).send(failed.body);
  const lines = items.map(({ productId, quantity }, index) => {
    const { available, unitPrice } = answers[index].body;
    return { productId, quantity, unitPrice, inStock: available >= quantity };
  });
  const total = lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
  log.info({ items: lines.length, total }, 'quote computed');
  return { lines, total, currency: 'EUR' };
});

await run(async ({ port, host }) => {
  await app.listen({ port, host });
  return { url: `http://${host}:${app.server.address().port}`, close: () => app.close() };
});
