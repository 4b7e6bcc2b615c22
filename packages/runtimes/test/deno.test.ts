import { conformanceOn } from '../src/conformance-on.js';

// Hono on Deno's own server and on its node:http; the Node frameworks on Deno's node:http.
conformanceOn(
  'deno',
  [
    { key: 'hono', title: 'hono (Deno.serve)' },
    { key: 'hono-node-server', title: 'hono (@hono/node-server)' },
    { key: 'express', title: 'express' },
    { key: 'fastify', title: 'fastify' },
    { key: 'koa', title: 'koa' },
  ],
  ['run', '--allow-all', '--quiet'],
);
