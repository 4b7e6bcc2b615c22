import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { type CheckTelemetry, registerGlobals } from '@otel-http/conformance';
import type { OtelHttpOptions } from '@otel-http/core';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { otel } from '../src/index.js';

// Fastify carries the async context through its lifecycle with AsyncLocalStorage; the API needs a
// context manager built on it, as every Node SDK setup registers. Every test file imports this
// module, so every one runs with it (and with the W3C propagators).
registerGlobals();

/** A Fastify app on a loopback port, with the plugin registered first. */
export interface TestApp {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly port: number;
}

/**
 * Builds an app: `otel` registered first with the telemetry's providers plus `options`, then
 * `routes`, then listening on 127.0.0.1 port 0. `close` it in `afterEach`.
 */
export async function startApp(
  telemetry: CheckTelemetry,
  routes: (app: FastifyInstance) => void | Promise<void>,
  options: OtelHttpOptions = {},
  serverOptions: FastifyServerOptions = {},
): Promise<TestApp> {
  // Closing must not wait for sockets a client left open (fetch reconnects after an abort).
  const app = Fastify({ forceCloseConnections: true, ...serverOptions });
  await app.register(otel, { ...telemetry.options, ...options });
  await routes(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { app, url, port };
}

/** The exported server span named `name`; fails the test when there is not exactly one. */
export function onlySpan(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const matching = spans.filter((span) => span.name === name);
  if (matching.length !== 1) {
    throw new Error(
      `expected one span named "${name}", got ${matching.length}: ${spans.map((s) => s.name).join(', ')}`,
    );
  }
  return matching[0] as ReadableSpan;
}
