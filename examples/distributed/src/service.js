/**
 * What the four services share: telemetry and logging set up the same way as in the single-service
 * examples, a simulated database query, the address of the next service, and the start/stop
 * lifecycle. Each service calls {@link service} first, before it builds its app.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { propagation, SpanKind } from '@opentelemetry/api';
import { withSpan } from '@otel-http/core';
import { pinoTraceMixin, startTelemetry } from '@otel-http/node';
import pino from 'pino';
import { chainService, NAMESPACE, TENANT_KEY } from './chain.js';

/** Interface to listen on: `HOST`, else loopback only. */
const HOST = process.env.HOST || '127.0.0.1';

/**
 * Starts telemetry and logging for the service called `name` (see `chain.js`).
 *
 * @returns `log`, the service's logger; `urlOf(name)`, the address of another service;
 *   `query(...)`, a simulated database query; and `run(startServer)`, which starts the server and
 *   stops it on SIGINT or SIGTERM.
 */
export function service(name) {
  const own = chainService(name);
  const telemetry = startTelemetry({
    ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: own.name }),
    resourceAttributes: { 'service.namespace': NAMESPACE },
    spanProcessors: [tenantOnServerSpans],
    ...(process.env.OTEL_EXPORTER_PROMETHEUS_PORT ? {} : { prometheus: { port: own.metricsPort } }),
  });
  const log = pino({
    name: own.name,
    level: process.env.LOG_LEVEL || 'info',
    base: { framework: own.framework },
    mixin: pinoTraceMixin,
  });

  /** The base URL of the service called `other`: its variable, else its default port. */
  const urlOf = (other) => {
    const { urlVariable, port } = chainService(other);
    return process.env[urlVariable] || `http://127.0.0.1:${port}`;
  };

  /** One simulated query: a CLIENT span as the database semantic conventions describe it. */
  const query = (operation, table, text, result) =>
    withSpan(
      `${operation} ${table}`,
      async () => {
        await sleep(2 + Math.random() * 6);
        return result();
      },
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'other_sql',
          'db.namespace': name,
          'db.collection.name': table,
          'db.operation.name': operation,
          'db.query.text': text,
        },
      },
    );

  /**
   * Starts the server on `PORT` (else the default port), logs a `listening` line with `url` and
   * `metricsUrl`, and on SIGINT or SIGTERM stops the server, then flushes telemetry.
   */
  const run = async (startServer) => {
    const port = process.env.PORT ? Number(process.env.PORT) : own.port;
    const server = await startServer({ port, host: HOST });
    const { prometheusUrl } = await telemetry.ready;
    log.info({ url: server.url, metricsUrl: prometheusUrl }, 'listening');
    const stop = async (signal) => {
      log.info({ signal }, 'stopping');
      setTimeout(() => process.exit(1), 5000).unref();
      await server.close();
      await telemetry.shutdown();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  };

  return { log, urlOf, query, run };
}

/**
 * Copies the {@link TENANT_KEY} baggage member the request arrived with onto the SERVER span, as
 * the Go hop does, so that a trace shows every service saw it. Only the SERVER span: the member
 * describes the request, and its CLIENT and query spans are found under it.
 */
const tenantOnServerSpans = {
  onStart(span, parentContext) {
    if (span.kind !== SpanKind.SERVER) return;
    const tenant = propagation.getBaggage(parentContext)?.getEntry(TENANT_KEY)?.value;
    if (tenant) span.setAttribute(TENANT_KEY, tenant);
  },
  onEnd() {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/**
 * The JSON body of a response from the next service, with its status; a body that is not JSON
 * becomes `{ error }` so that a failure further down the chain still reaches the client.
 */
export async function jsonOf(response) {
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: 502, body: { error: `bad answer from ${response.url}` } };
  }
}
