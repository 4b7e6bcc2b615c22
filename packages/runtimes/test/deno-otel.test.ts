import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '@otel-http/conformance';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildRunner } from '../src/build.js';
import {
  OTLP_CLIENT,
  OTLP_SERVER,
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from '../src/otlp-receiver.js';
import { requireRuntime, runtimeEnv, scratchDir } from '../src/runtimes.js';

const deno = requireRuntime('deno');
const CALLER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN_ID = 'b7ad6b7169203331';

// Deno ≥ 2.3 with OTEL_DENO=true: its own SERVER span for Deno.serve and CLIENT span for fetch,
// its providers registered with the API, exported over OTLP to a receiver in this test.
describe.skipIf(!deno.found)('Hono on Deno.serve with Deno’s built-in OpenTelemetry', () => {
  let receiver: OtlpReceiver;
  let downstream: Server;
  let downstreamHeaders: Array<Record<string, string | string[] | undefined>>;
  let app: ChildProcess;
  let appUrl: string;
  let output = '';

  beforeAll(async () => {
    if (!deno.found) return;
    receiver = await startOtlpReceiver();
    downstreamHeaders = [];
    downstream = createServer((request, response) => {
      downstreamHeaders.push(request.headers);
      response.end('downstream');
    });
    downstream.listen(0, '127.0.0.1');
    await once(downstream, 'listening');
    const dir = scratchDir('deno-otel');
    const bundle = join(dir, 'app.mjs');
    await buildRunner(bundle, './deno-otel-app.ts');
    app = spawn(deno.path, ['run', '--allow-all', '--quiet', bundle], {
      cwd: dir,
      env: runtimeEnv({
        OTEL_DENO: 'true',
        OTEL_DENO_CONSOLE: 'ignore',
        OTEL_SERVICE_NAME: 'deno-otel-test',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        // Deno exports in batches; flush each span at once so that the test need not wait.
        OTEL_BSP_SCHEDULE_DELAY: '10',
        OTEL_METRIC_EXPORT_INTERVAL: '100',
        DOWNSTREAM_URL: `http://127.0.0.1:${(downstream.address() as AddressInfo).port}`,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const port = await new Promise<string>((resolve, reject) => {
      app.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening (\d+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      app.on('exit', (code) => reject(new Error(`deno exited with ${code}:\n${output}`)));
    });
    appUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    app?.kill('SIGKILL');
    downstream?.close();
    await receiver?.close();
  });
  beforeEach(() => {
    if (receiver) receiver.spans.length = 0;
  });

  async function spansOfTrace(traceId: string, count: number): Promise<ReceivedSpan[]> {
    const ofTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
    await waitFor(`${count} spans of trace ${traceId}`, () =>
      ofTrace().length >= count ? true : undefined,
    ).catch(() => undefined);
    // A little longer, to catch a duplicate.
    await new Promise((resolve) => setTimeout(resolve, 200));
    return ofTrace();
  }

  it('one SERVER span, named by our route, with our attributes, in the caller’s trace', async () => {
    const response = await fetch(`${appUrl}/users/7`, {
      headers: { traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` },
    });
    expect(response.status).toBe(200);
    await response.text();
    const spans = await spansOfTrace(CALLER_TRACE_ID, 2);
    const servers = spans.filter((span) => span.kind === OTLP_SERVER);
    expect(
      servers.map((span) => span.name),
      JSON.stringify(spans),
    ).toEqual(['GET /users/:id']);
    const [server] = servers;
    expect(server?.parentSpanId).toBe(CALLER_SPAN_ID);
    expect(server?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'url.path': '/users/7',
      'http.response.status_code': 200,
    });
    // The fetch of the handler: one CLIENT span, child of the server span, its context sent on.
    const clients = spans.filter((span) => span.kind === OTLP_CLIENT);
    expect(clients, JSON.stringify(spans)).toHaveLength(1);
    expect(clients[0]?.parentSpanId).toBe(server?.spanId);
    expect(downstreamHeaders.at(-1)?.traceparent).toBe(
      `00-${CALLER_TRACE_ID}-${clients[0]?.spanId}-01`,
    );
  });

  it('a thrown error: the one SERVER span is a 500 with error.type its class', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(`${appUrl}/boom`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(response.status).toBe(500);
    await response.text();
    const spans = await spansOfTrace(traceId, 1);
    const servers = spans.filter((span) => span.kind === OTLP_SERVER);
    expect(
      servers.map((span) => span.name),
      JSON.stringify(spans),
    ).toEqual(['GET /boom']);
    expect(servers[0]?.attributes).toMatchObject({
      'http.route': '/boom',
      'http.response.status_code': 500,
      'error.type': 'TypeError',
    });
    expect(servers[0]?.status.code).toBe(2);
    expect(servers[0]?.events).toEqual(['exception']);
  });

  it('the HTTP server metrics are recorded once, by Deno', async () => {
    const response = await fetch(`${appUrl}/users/8`);
    await response.text();
    const names = await waitFor('the server duration metric', () =>
      receiver.metrics.some((metric) => metric.endsWith(' http.server.request.duration'))
        ? receiver.metrics
        : undefined,
    );
    const serverMetrics = [...new Set(names)].filter((name) => / http\.server\./.test(name));
    expect(serverMetrics.filter((name) => name.startsWith('@otel-http/'))).toEqual([]);
    expect(serverMetrics).toContain('deno http.server.active_requests');
  });
});
