// The distributed chain (Hono → Express → Fastify → Koa) and the Express example sending OTLP to a
// real Collector (Jaeger v2's binary with otel-collector.yaml), which forwards to a real Jaeger
// (jaeger.yaml); every trace is read back from Jaeger's HTTP API. Then the faults: Jaeger restarted
// and the collector stopped while the examples keep serving, and the collector's tail sampling.
// Jaeger is built once from the Go module proxy (`pnpm stack`, or CI's "build jaeger" step); without
// the binary the test is skipped, except in CI.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript without declarations.
import * as stack from '../../observability/src/stack.js';
import { ensurePackagesBuilt } from './support/built.js';

const binary: string = stack.jaegerBinary();
const present = existsSync(binary);
if (!present && !process.env.CI) {
  console.warn(
    `No Jaeger binary at ${binary}: the Jaeger test is skipped. \`pnpm stack\` builds it.`,
  );
}

type Running = {
  name?: string;
  url?: string;
  metricsUrl?: string;
  stop(): Promise<void>;
  output?(): string;
};
type JaegerSpan = {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
  duration: number;
};
type JaegerTrace = {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
};

const SERVICES = ['gateway', 'orders', 'pricing', 'inventory'];

describe.skipIf(!present && !process.env.CI)(
  'the chain through a real Collector into a real Jaeger',
  () => {
    let ports: Record<string, number>;
    let jaeger: Running;
    let collector: Running;
    let chain: (Running & { name: string })[] = [];
    let express: Running;
    let gateway: string;
    let api: string;

    beforeAll(async () => {
      ensurePackagesBuilt();
      ports = {};
      for (const key of Object.keys(stack.DEFAULT_PORTS)) ports[key] = await freePort();
      api = `http://127.0.0.1:${ports.jaegerQuery}`;
      jaeger = await stack.startJaeger({ binary, ports });
      collector = await stack.startCollector({ binary, ports });
      const otlpEndpoint = `http://127.0.0.1:${ports.collectorHttp}`;
      // Short export delays, so that a trace reaches Jaeger in a second rather than five.
      const env = {
        PORT: '0',
        OTEL_EXPORTER_PROMETHEUS_PORT: '0',
        OTEL_BSP_SCHEDULE_DELAY: '200',
      };
      chain = await stack.startChain({ otlpEndpoint, env: () => env });
      gateway = chain.find((service) => service.name === 'gateway')?.url as string;
      express = await stack.startExample('express', { otlpEndpoint, env });
    });

    afterAll(async () => {
      await Promise.all([...chain, express].filter(Boolean).map((service) => service.stop()));
      await collector?.stop();
      await jaeger?.stop();
    });

    let fullTrace: JaegerTrace;

    it('reads the whole trace of one request back from Jaeger: four services, parent links, names, routes, resource', async () => {
      const { traceId, parentId, status } = await chainRequest();
      expect(status).toBe(200);
      fullTrace = await traceWhenSettled(traceId);
      const spans = fullTrace.spans;
      const serviceOf = (span: JaegerSpan) => fullTrace.processes[span.processID]?.serviceName;
      expect([...new Set(spans.map(serviceOf))].sort()).toEqual([...SERVICES].sort());

      // One root, the child of the caller's span (the traceparent this test sent); every other span's
      // parent is in the trace.
      const ids = new Set(spans.map((span) => span.spanID));
      const parentOf = (span: JaegerSpan) =>
        span.references.find((ref) => ref.refType === 'CHILD_OF')?.spanID;
      const roots = spans.filter((span) => !ids.has(parentOf(span) as string));
      expect(roots.map((span) => [serviceOf(span), span.operationName, parentOf(span)])).toEqual([
        ['gateway', 'GET /api/orders/:id', parentId],
      ]);

      const servers = spans.filter((span) => tag(span, 'span.kind') === 'server');
      const serverSummary = servers
        .map(
          (span) =>
            `${serviceOf(span)} ${span.operationName} ${tag(span, 'http.route')} ${tag(span, 'http.response.status_code')}`,
        )
        .sort();
      expect(serverSummary).toEqual(
        [
          'gateway GET /api/orders/:id /api/orders/:id 200',
          'orders GET /orders/:id /orders/:id 200',
          'pricing POST /quotes /quotes 200',
          'inventory GET /stock/:sku /stock/:sku 200',
          'inventory GET /stock/:sku /stock/:sku 200',
        ].sort(),
      );
      // Each server span below the gateway is the child of a client span of the service before it.
      const before: Record<string, string> = {
        orders: 'gateway',
        pricing: 'orders',
        inventory: 'pricing',
      };
      for (const server of servers.filter((span) => serviceOf(span) !== 'gateway')) {
        const parent = spans.find((span) => span.spanID === parentOf(server)) as JaegerSpan;
        expect(tag(parent, 'span.kind')).toBe('client');
        expect(serviceOf(parent)).toBe(before[serviceOf(server) as string]);
      }
      for (const span of spans) {
        expect(tag(span, 'otel.status_code') ?? 'UNSET', span.operationName).not.toBe('ERROR');
        expect(tag(span, 'error.type'), span.operationName).toBeUndefined();
      }

      // The resource @otel-http/node sets, on every service's process.
      for (const process of Object.values(fullTrace.processes)) {
        const resource = Object.fromEntries(process.tags.map((entry) => [entry.key, entry.value]));
        expect(resource).toMatchObject({
          'service.namespace': 'shop-distributed',
          'telemetry.sdk.language': 'nodejs',
          'telemetry.sdk.name': 'opentelemetry',
          'process.runtime.name': 'nodejs',
        });
        expect(resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
        expect(resource['host.name']).toBeTypeOf('string');
      }
    });

    it("finds an error request's trace by tag search, with its status and error.type", async () => {
      const response = await fetch(`${express.url}/error`);
      await response.arrayBuffer();
      expect(response.status).toBe(500);
      const search = `${api}/api/traces?service=example-express&tags=${encodeURIComponent(
        JSON.stringify({ 'http.response.status_code': '500' }),
      )}&limit=20&lookback=1h`;
      let found: JaegerTrace[] = [];
      await poll(async () => {
        found = (await (await fetch(search)).json()).data ?? [];
        return found.length > 0;
      }, 30_000);
      expect(found.length).toBeGreaterThan(0);
      const server = found[0].spans.find(
        (span) => tag(span, 'span.kind') === 'server',
      ) as JaegerSpan;
      expect(server.operationName).toBe('GET /error');
      expect(tag(server, 'http.route')).toBe('/error');
      expect(tag(server, 'otel.status_code')).toBe('ERROR');
      expect(tag(server, 'error')).toBe(true);
      expect(tag(server, 'error.type')).toBeTypeOf('string');
      // A successful request does not match the same search.
      const ok = `${api}/api/traces?service=example-express&operation=${encodeURIComponent('GET /users/:id')}&tags=${encodeURIComponent(JSON.stringify({ error: 'true' }))}&lookback=1h`;
      await (await fetch(`${express.url}/users/1`)).arrayBuffer();
      expect((await (await fetch(ok)).json()).data).toEqual([]);
    });

    it('keeps serving while Jaeger restarts, and the collector delivers what it queued meanwhile', async () => {
      await jaeger.stop();
      const during = [];
      for (let n = 0; n < 5; n++) during.push(await chainRequest());
      expect(during.map((request) => request.status)).toEqual([200, 200, 200, 200, 200]);
      jaeger = await stack.startJaeger({ binary, ports });
      for (const { traceId } of during) {
        const trace = await traceWhenSettled(traceId);
        expect(trace.spans.length, traceId).toBe(fullTrace.spans.length);
      }
    });

    it('keeps serving with the collector down, and counts the spans it could not export', async () => {
      await collector.stop();
      const failedBefore = await exportFailures(gateway);
      const started = Date.now();
      for (let n = 0; n < 5; n++) expect((await chainRequest()).status).toBe(200);
      // Nothing waits for the missing collector: five requests through four services are quick.
      expect(Date.now() - started).toBeLessThan(10_000);
      let failed = failedBefore;
      await poll(async () => {
        failed = await exportFailures(gateway);
        return failed > failedBefore;
      }, 30_000);
      expect(failed).toBeGreaterThan(failedBefore);
      collector = await stack.startCollector({ binary, ports });
      const { traceId } = await chainRequest();
      expect((await traceWhenSettled(traceId)).spans.length).toBe(fullTrace.spans.length);
    });

    it('tail-samples whole traces: every error and every slow trace, a part of the rest, none kept half', async () => {
      await collector.stop();
      const threshold = 150;
      collector = await stack.startCollector({
        binary,
        ports,
        tailSampling: true,
        env: {
          TAIL_SAMPLING_DECISION_WAIT: '3s',
          TAIL_SAMPLING_LATENCY_THRESHOLD_MS: String(threshold),
        },
      });
      const fast: string[] = [];
      for (let n = 0; n < 60; n++) {
        const started = Date.now();
        const { traceId, status } = await chainRequest();
        expect(status).toBe(200);
        if (Date.now() - started < threshold) fast.push(traceId);
      }
      const errors = [];
      const slow = [];
      for (let n = 0; n < 5; n++) {
        errors.push(await request(`${express.url}/error`));
        slow.push(await request(`${express.url}/events`));
      }
      // Errors and slow traces are kept: wait for them, then the decisions on the rest are made too.
      for (const { traceId } of [...errors, ...slow])
        expect((await traceWhenSettled(traceId, 1)).spans.length).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      let kept = 0;
      for (const traceId of fast) {
        const trace = await readTrace(traceId);
        if (trace === undefined) continue;
        kept++;
        expect(trace.spans.length, `trace ${traceId} kept whole`).toBe(fullTrace.spans.length);
      }
      console.log(`tail sampling kept ${kept} of ${fast.length} fast chain traces`);
      expect(fast.length).toBeGreaterThanOrEqual(20);
      expect(kept).toBeLessThan(fast.length / 2);
    }, 180_000);

    /** One request through the chain with a traceparent of our own, so that its trace is known. */
    async function chainRequest() {
      return request(`${gateway}/api/orders/2`);
    }

    async function request(url: string) {
      const traceId = randomBytes(16).toString('hex');
      const parentId = randomBytes(8).toString('hex');
      const response = await fetch(url, {
        headers: { traceparent: `00-${traceId}-${parentId}-01` },
      });
      await response.arrayBuffer();
      return { traceId, parentId, status: response.status };
    }

    async function readTrace(traceId: string): Promise<JaegerTrace | undefined> {
      const response = await fetch(`${api}/api/traces/${traceId}`);
      if (response.status === 404) return undefined;
      const body = await response.json();
      return body.data?.[0];
    }

    /** The trace once its span count has stopped changing for a second (bounded: 30 s). */
    async function traceWhenSettled(
      traceId: string,
      atLeast = fullTrace?.spans.length ?? 1,
    ): Promise<JaegerTrace> {
      let last: JaegerTrace | undefined;
      let stableSince = 0;
      await poll(async () => {
        const trace = await readTrace(traceId);
        if (trace === undefined) return false;
        if (trace.spans.length !== last?.spans.length) {
          last = trace;
          stableSince = Date.now();
          return false;
        }
        return Date.now() - stableSince >= 1000 && trace.spans.length >= atLeast;
      }, 30_000);
      if (last === undefined) throw new Error(`trace ${traceId} is not in Jaeger`);
      return last;
    }

    async function exportFailures(service: string) {
      const metricsUrl = chain.find((entry) => entry.url === service)?.metricsUrl as string;
      const text = await (await fetch(metricsUrl)).text();
      const line = text
        .split('\n')
        .find(
          (entry) =>
            entry.startsWith('otel_sdk_processor_span_processed') &&
            entry.includes('error_type="export_failed"'),
        );
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    }
  },
);

function tag(span: JaegerSpan, key: string) {
  return span.tags.find((entry) => entry.key === key)?.value;
}

async function poll(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return true;
    } catch {
      // Not there yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
