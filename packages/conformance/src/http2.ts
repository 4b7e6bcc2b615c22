import { once } from 'node:events';
import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { OtelHttpOptions } from '@otel-http/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { HTTP2_CHECKS } from './checks/http2.js';
import type { Check } from './checks/types.js';
import type { ConformanceServer } from './harness.js';
import { ResultsTable } from './results.js';
import { firstLine, runCheckOn } from './run-check.js';
import { CheckTelemetry, registerGlobals } from './telemetry.js';
import { TEST_ONLY_TLS } from './tls-fixture.js';

/** The two ways the HTTP/2 rows reach the server. */
export type Http2Transport = 'h2c' | 'h2-tls';

/** Key and certificate for `http2.createSecureServer`, or `undefined` for cleartext (h2c). */
export type Http2Tls = { readonly key: string; readonly cert: string } | undefined;

/**
 * What an adapter whose framework runs on `node:http2` hands the HTTP/2 rows: the same standard
 * route table as {@link AdapterHarness}, served by `http2.createServer()` when `tls` is
 * `undefined` and by `http2.createSecureServer(tls)` otherwise, on `127.0.0.1` port 0. The URL
 * it returns starts with `http:` or `https:` accordingly ({@link whenHttp2Listening} does that).
 */
export interface Http2AdapterHarness {
  /** Name printed in the results table, e.g. `fastify`. */
  readonly name: string;
  start(options: OtelHttpOptions, tls: Http2Tls): Promise<ConformanceServer>;
  /** Check ids (`h2c.abort.slow`, …) this framework cannot pass, each with the reason. */
  readonly exceptions?: Readonly<Record<string, string>>;
}

/** The ids of the HTTP/2 rows, in table order. */
export const HTTP2_CHECK_IDS: readonly string[] = (['h2c', 'h2-tls'] as const).flatMap(
  (transport) => HTTP2_CHECKS.map((check) => `${transport}.${check.id}`),
);

/**
 * Waits until an HTTP/2 server listens and returns its URL (`http:` for h2c, `https:` for TLS)
 * and a `close()` that also destroys the sessions still open, so that closing never waits for a
 * client's idle session.
 */
export async function whenHttp2Listening(
  server: Http2Server | Http2SecureServer,
): Promise<ConformanceServer> {
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const scheme = 'setSecureContext' in server ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const session of sessions) session.destroy();
      }),
  };
}

/**
 * Declares the HTTP/2 rows of the conformance suite for one adapter: the checks of
 * `HTTP2_CHECK_IDS`, over h2c and over TLS, each with its own SDK and server, as
 * `runConformance` does for HTTP/1.1, and prints their results table at the end.
 */
export function runHttp2Conformance(harness: Http2AdapterHarness): void {
  const exceptions = harness.exceptions ?? {};
  for (const id of Object.keys(exceptions)) {
    if (!HTTP2_CHECK_IDS.includes(id)) throw new Error(`exceptions names an unknown check: ${id}`);
  }
  const table = new ResultsTable(`${harness.name} over HTTP/2`);

  describe(`otel-http conformance over HTTP/2: ${harness.name}`, () => {
    let unregisterGlobals: (() => void) | undefined;
    beforeAll(() => {
      unregisterGlobals = registerGlobals();
    });
    afterAll(() => {
      unregisterGlobals?.();
      console.log(table.format());
    });

    for (const transport of ['h2c', 'h2-tls'] as const) {
      for (const check of HTTP2_CHECKS) {
        const id = `${transport}.${check.id}`;
        table.declare(id);
        it(`${id}: ${check.title}`, async () => {
          table.start(id);
          const exception = exceptions[id];
          try {
            await runCheck(harness, check, transport === 'h2-tls' ? TEST_ONLY_TLS : undefined);
          } catch (error) {
            if (exception !== undefined) {
              table.report(id, 'exception', exception);
              return;
            }
            table.report(id, 'fail', firstLine(error));
            throw error;
          }
          table.report(id, 'pass', exception && 'listed as an exception, but passes');
        });
      }
    }
  });
}

async function runCheck(harness: Http2AdapterHarness, check: Check, tls: Http2Tls): Promise<void> {
  const telemetry = new CheckTelemetry();
  const server = await harness.start(
    {
      ignore: '/health',
      ...check.options,
      tracerProvider: telemetry.tracerProvider,
      meterProvider: telemetry.meterProvider,
    },
    tls,
  );
  await runCheckOn(check, server, telemetry);
}
