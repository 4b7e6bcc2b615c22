/** Loopback servers for the tests: an OTLP receiver, instrumented services, a closed port. */
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { context } from '@opentelemetry/api';
import {
  createServerInstrumentation,
  type OtelHttpOptions,
  type RequestHandle,
} from '@otel-http/core';
import { startNodeRequest } from '@otel-http/core/node';
import {
  decodeMetrics,
  decodeTraces,
  type ReceivedMetric,
  type ReceivedSpan,
} from './otlp-decode.js';

/** Polls `check` until it returns true; fails after `timeoutMillis`. */
export async function waitFor(
  check: () => boolean,
  what: string,
  timeoutMillis = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMillis;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** {@link waitFor} with an asynchronous check (a scrape, a flush). */
export async function waitForAsync(
  check: () => Promise<boolean>,
  what: string,
  timeoutMillis = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMillis;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One request the receiver got. */
export interface ReceivedRequest {
  method: string | undefined;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An OTLP/HTTP receiver on 127.0.0.1 that keeps and decodes what it gets. */
export interface OtlpReceiver {
  /** Base URL (`http://127.0.0.1:<port>`), for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  spans(): ReceivedSpan[];
  metrics(): ReceivedMetric[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method,
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      // An empty Export*ServiceResponse: full success.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const bodiesAt = (path: string) => requests.filter((r) => r.path === path).map((r) => r.body);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans: () => bodiesAt('/v1/traces').flatMap((body) => decodeTraces(body)),
    metrics: () => bodiesAt('/v1/metrics').flatMap((body) => decodeMetrics(body)),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A service instrumented as an adapter would do it: core's Node request lifecycle. */
export interface InstrumentedServer {
  readonly url: string;
  close(): Promise<void>;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  handle: RequestHandle | undefined,
) => void | Promise<void>;

export async function startInstrumentedServer(
  handler: Handler,
  options: OtelHttpOptions = {},
): Promise<InstrumentedServer> {
  const instrumentation = createServerInstrumentation(options);
  const server = createServer((req, res) => {
    const handle = startNodeRequest(instrumentation, req, res);
    context.with(handle?.context ?? context.active(), async () => {
      try {
        await handler(req, res, handle);
      } catch (error) {
        handle?.recordError(error);
        res.statusCode = 500;
        res.end();
      }
    });
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A loopback port that was free a moment ago and is closed now: connections are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
