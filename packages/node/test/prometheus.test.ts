import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '../src/index.js';
import { captureDiag, resetGlobals } from './support/globals.js';
import { startInstrumentedServer, waitForAsync } from './support/loopback.js';

/** One sample line of the Prometheus text format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, '$1');
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

let telemetry: Telemetry | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  resetGlobals();
});

describe('the Prometheus endpoint', () => {
  it('serves the RED metrics and the resource as real Prometheus text', async () => {
    telemetry = startTelemetry({
      serviceName: 'catalog',
      serviceVersion: '3.1.0',
      traces: 'none',
      metrics: 'prometheus',
      prometheus: { host: '127.0.0.1', port: 0 },
      logLevel: 'none',
    });
    const { prometheusUrl } = await telemetry.ready;
    expect(prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const service = await startInstrumentedServer((req, res, handle) => {
      if (req.url?.startsWith('/items/')) {
        handle?.setRoute('/items/:id');
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    try {
      for (const path of ['/items/1', '/items/2?sig=secret', '/nope/secret-path']) {
        const response = await fetch(`${service.url}${path}`);
        await response.arrayBuffer();
      }
      // The metrics are recorded at the response's 'close', just after the client has its answer.
      let scrape = new Response();
      let text = '';
      await waitForAsync(async () => {
        scrape = await fetch(prometheusUrl as string);
        text = await scrape.text();
        const counts = parseSamples(text).filter(
          (s) => s.name === 'http_server_request_duration_count',
        );
        return counts.reduce((sum, s) => sum + s.value, 0) === 3;
      }, 'the three requests in the scrape');
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get('content-type')).toContain('text/plain');
      expect(text).toContain('# TYPE http_server_request_duration histogram');
      expect(text).toContain('# TYPE http_server_active_requests gauge');

      const samples = parseSamples(text);
      const count = samples.find(
        (s) =>
          s.name === 'http_server_request_duration_count' && s.labels.http_route === '/items/:id',
      );
      expect(count?.value).toBe(2);
      expect(count?.labels).toMatchObject({
        http_request_method: 'GET',
        url_scheme: 'http',
        http_response_status_code: '200',
        otel_scope_name: '@otel-http/core',
      });
      const notFound = samples.find(
        (s) =>
          s.name === 'http_server_request_duration_count' &&
          s.labels.http_response_status_code === '404',
      );
      expect(notFound?.value).toBe(1);
      expect(notFound?.labels.http_route).toBeUndefined();

      const bounds = samples
        .filter(
          (s) =>
            s.name === 'http_server_request_duration_bucket' &&
            s.labels.http_route === '/items/:id',
        )
        .map((s) => s.labels.le);
      expect(bounds).toEqual([
        '0.005',
        '0.01',
        '0.025',
        '0.05',
        '0.075',
        '0.1',
        '0.25',
        '0.5',
        '0.75',
        '1',
        '2.5',
        '5',
        '7.5',
        '10',
        '+Inf',
      ]);

      const active = samples.filter((s) => s.name === 'http_server_active_requests');
      expect(active.length).toBeGreaterThan(0);
      expect(active.every((s) => s.value === 0)).toBe(true);

      const target = samples.find((s) => s.name === 'target_info');
      expect(target?.labels).toMatchObject({
        service_name: 'catalog',
        service_version: '3.1.0',
        telemetry_sdk_language: 'nodejs',
      });

      // Nothing unbounded or private became a label.
      for (const sample of samples.filter((s) => s.name.startsWith('http_server'))) {
        expect(Object.keys(sample.labels)).not.toContain('url_path');
        expect(Object.keys(sample.labels)).not.toContain('url_query');
        expect(Object.keys(sample.labels)).not.toContain('client_address');
      }
      expect(text).not.toContain('secret');

      // Served by otel-http's own producer on the reader: the SDK made no meter for the adapters.
      const { meterSharedStates } = (
        telemetry.meterProvider as unknown as {
          _sharedState: { meterSharedStates: Map<string, unknown> };
        }
      )._sharedState;
      expect(
        [...meterSharedStates.keys()].filter((key) => key.includes('@otel-http/core')),
      ).toEqual([]);
    } finally {
      await service.close();
    }
  });

  it('answers 404 off its path and serves a configured path', async () => {
    telemetry = startTelemetry({
      traces: 'console',
      metrics: 'prometheus',
      prometheus: { host: '127.0.0.1', port: 0, path: '/internal/metrics' },
      logLevel: 'none',
    });
    const { prometheusUrl } = await telemetry.ready;
    const url = new URL(prometheusUrl as string);
    expect(url.pathname).toBe('/internal/metrics');
    expect((await fetch(new URL('/metrics', url))).status).toBe(404);
    const scrape = await fetch(url);
    expect(scrape.status).toBe(200);
    // The span queue publishes its counters next to the application's metrics.
    expect(await scrape.text()).toContain('otel_sdk_processor_span_processed');
  });

  it('reports a port in use instead of crashing, and keeps recording', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;
    const diagnostics = captureDiag();
    try {
      telemetry = startTelemetry({
        traces: 'none',
        metrics: 'prometheus',
        prometheus: { host: '127.0.0.1', port },
        diagLogger: diagnostics.logger,
        logLevel: 'error',
      });
      const endpoints = await telemetry.ready;
      expect(endpoints.prometheusUrl).toBeUndefined();
      expect(diagnostics.matching(`could not listen on 127.0.0.1:${port}`)).toHaveLength(1);
      expect(diagnostics.matching('EADDRINUSE')).toHaveLength(1);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
