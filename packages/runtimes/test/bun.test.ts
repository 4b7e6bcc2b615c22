import { conformanceOn } from '../src/conformance-on.js';

// Hono on Bun's own server and on its node:http; the Node frameworks on Bun's node:http.
conformanceOn('bun', [
  { key: 'hono', title: 'hono (Bun.serve)' },
  { key: 'hono-node-server', title: 'hono (@hono/node-server)' },
  { key: 'express', title: 'express' },
  { key: 'fastify', title: 'fastify' },
  { key: 'koa', title: 'koa' },
]);
