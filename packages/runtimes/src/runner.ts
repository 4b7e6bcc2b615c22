/**
 * Runs `runConformance` for one adapter on the runtime executing this file (Bun or Deno), then
 * writes the results as a Vitest-style JSON report. `build.ts` bundles it with the workspace
 * sources and `vitest` resolved to `vitest-shim.ts`; the frameworks and the OpenTelemetry SDK stay
 * imports, loaded by the runtime from node_modules as an application's would be.
 *
 * Usage: <runtime> runner.mjs <server> <report.json>, with <server> one of SERVERS' keys.
 */
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { type ConformanceServer, runConformance } from '@otel-http/conformance';
import type { OtelHttpOptions } from '@otel-http/core';
import type { Hono } from 'hono';
import {
  standardApp as expressApp,
  listen as listenExpress,
} from '../../express/test/standard-app.js';
import {
  standardApp as fastifyApp,
  listen as listenFastify,
} from '../../fastify/test/standard-app.js';
import { listen as listenHonoNode } from '../../hono/test/server.js';
import { standardApp as honoApp } from '../../hono/test/standard-app.js';
import { listen as listenKoa } from '../../koa/test/server.js';
import { standardApp as koaApp } from '../../koa/test/standard-app.js';
import { Bun, Deno, runtime } from './runtime-globals.js';
import { runDeclared } from './vitest-shim.js';

// Each of Hono's adapters touches its runtime's globals when loaded: import only this one's.
const { getConnInfo } = runtime === 'bun' ? await import('hono/bun') : await import('hono/deno');

/** Hono on the runtime's own server, with the peer address from Hono's `getConnInfo` for it. */
function honoOnRuntime(options: OtelHttpOptions): Promise<ConformanceServer> {
  if (runtime === 'bun') {
    const app = honoApp({
      ...options,
      connectionInfo: (c) => {
        const { remote } = getConnInfo(c);
        return { peerAddress: remote.address, peerPort: remote.port };
      },
    });
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: fetchOf(app) });
    return Promise.resolve({
      url: `http://127.0.0.1:${server.port}`,
      close: () => server.stop(true),
    });
  }
  if (runtime === 'deno') {
    const app = honoApp({
      ...options,
      connectionInfo: (c) => {
        const { remote } = getConnInfo(c);
        return { peerAddress: remote.address, peerPort: remote.port };
      },
    });
    const stop = new AbortController();
    const server = Deno.serve(
      { hostname: '127.0.0.1', port: 0, signal: stop.signal, onListen: () => {} },
      fetchOf(app),
    );
    return Promise.resolve({
      url: `http://127.0.0.1:${server.addr.port}`,
      close: () => {
        stop.abort();
        return server.finished;
      },
    });
  }
  throw new Error(`no server of its own on ${runtime}`);
}

function fetchOf(app: Hono) {
  return (request: Request, env: unknown) => app.fetch(request, env as never);
}

/**
 * What a Fetch server cannot tell: the `Request` has no HTTP version, and neither Bun.serve nor
 * Deno.serve (nor Hono's `getConnInfo`) says which one the connection speaks.
 */
const NO_HTTP_VERSION =
  'no network.protocol.version: the server does not tell the HTTP version (connectionInfo can)';
const FETCH_SERVER_EXCEPTIONS = {
  'attributes.required-and-recommended': NO_HTTP_VERSION,
  'semconv.no-protocol-name-for-http': NO_HTTP_VERSION,
};

interface ServerUnderTest {
  readonly name: string;
  readonly start: (options: OtelHttpOptions) => Promise<ConformanceServer>;
  readonly exceptions?: Readonly<Record<string, string>>;
}

/** The servers a run can be asked for: the name printed in the table, and how to start it. */
const SERVERS: Record<string, ServerUnderTest> = {
  hono: {
    name: `hono (${runtime === 'bun' ? 'Bun' : 'Deno'}.serve)`,
    start: honoOnRuntime,
    exceptions: FETCH_SERVER_EXCEPTIONS,
  },
  'hono-node-server': {
    name: 'hono (@hono/node-server)',
    start: async (options) => listenHonoNode(honoApp(options)),
  },
  express: { name: 'express', start: async (options) => listenExpress(expressApp(options)) },
  fastify: { name: 'fastify', start: async (options) => listenFastify(await fastifyApp(options)) },
  koa: { name: 'koa', start: async (options) => listenKoa(koaApp(options)) },
};

const [serverName = '', reportPath = ''] = process.argv.slice(2);
const server = SERVERS[serverName];
if (server === undefined || reportPath === '') {
  console.error(`usage: runner.mjs <${Object.keys(SERVERS).join('|')}> <report.json>`);
  process.exit(2);
}

// As the adapters' own conformance tests do: the errors the suite provokes on purpose would
// only bury the output of a passing run.
const consoleError = console.error;
console.error = (...args: unknown[]) => {
  const [error] = args;
  const onPurpose =
    error instanceof Error && (error.name === 'BoomError' || error.name === 'FailError');
  if (!onPurpose) consoleError(...args);
};

const version =
  runtime === 'bun' ? Bun.version : runtime === 'deno' ? Deno.version.deno : process.version;
// The exceptions go into the report, not to the suite: the report keeps what really happened, and
// the Vitest side accepts a listed check's failure.
const exceptions = server.exceptions ?? {};
runConformance({ name: server.name, start: server.start });
const results = await runDeclared();
const report = { runtime, version, server: server.name, exceptions, results };
writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
// Keep-alive sockets of a client or a server the suite left behind must not keep the run open.
process.exit(0);
