// Exemplars end to end, over OTLP: the Express example sends its metrics with @otel-http/node's
// OTLP exporter to a real OpenTelemetry Collector (Jaeger v2's binary: OTLP receiver, Prometheus
// exporter with OpenMetrics on), a real Prometheus with exemplar storage scrapes the collector,
// and a PromQL latency query over `query_exemplars` answers with the trace and span ids of the
// example's sampled requests. The Go collector decoding our protobuf is the check that the
// exemplar encoding is right. Without the Jaeger binary (`pnpm stack` builds it) or Debian's
// prometheus the test is skipped, except in CI.
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript without declarations.
import * as stack from '../../observability/src/stack.js';

type Running = { stop(): Promise<void>; output(): string };

const binary: string = stack.jaegerBinary();
const prometheus: string | undefined = stack.findOnPath('prometheus');
const present = existsSync(binary) && prometheus !== undefined;
if (!present && !process.env.CI) {
  console.warn(
    "The OTLP exemplar test needs the Jaeger binary (`pnpm stack` builds it) and Debian's prometheus: skipped.",
  );
}

describe.skipIf(!present && !process.env.CI)(
  'OTLP exemplars through a real Collector into a real Prometheus',
  () => {
    const directory = mkdtempSync(join(tmpdir(), 'otel-http-otlp-exemplars-'));
    const spans = new InMemorySpanExporter();
    let collector: Running;
    let prometheusProcess: Running;
    let telemetry: { shutdown(): Promise<void>; forceFlush(): Promise<void> };
    let example: { url: string; close(): Promise<void> };
    let api: string;

    beforeAll(async () => {
      const [otlpPort, exporterPort, prometheusPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      writeFileSync(
        join(directory, 'collector.yaml'),
        [
          'receivers:',
          '  otlp:',
          '    protocols:',
          '      http:',
          `        endpoint: 127.0.0.1:${otlpPort}`,
          'exporters:',
          '  prometheus:',
          `    endpoint: 127.0.0.1:${exporterPort}`,
          '    enable_open_metrics: true',
          'service:',
          '  pipelines:',
          '    metrics:',
          '      receivers: [otlp]',
          '      exporters: [prometheus]',
          '  telemetry:',
          '    metrics:',
          '      level: none',
          '',
        ].join('\n'),
      );
      collector = await stack.startProcess({
        name: 'collector',
        command: binary,
        args: [`--config=${join(directory, 'collector.yaml')}`],
        ready: () =>
          stack.answers(`http://127.0.0.1:${otlpPort}/v1/metrics`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          }),
      });
      prometheusProcess = await stack.startPrometheus({
        config: [
          'global:',
          '  scrape_interval: 1s',
          'scrape_configs:',
          '  - job_name: collector',
          '    static_configs:',
          `      - targets: ['127.0.0.1:${exporterPort}']`,
          '',
        ].join('\n'),
        directory: join(directory, 'prometheus'),
        port: prometheusPort,
        args: ['--enable-feature=exemplar-storage'],
      });
      api = `http://127.0.0.1:${prometheusPort}`;

      process.env.LOG_LEVEL = 'silent';
      const { startTelemetry } = await import('@otel-http/node');
      telemetry = startTelemetry({
        serviceName: 'example-express',
        traces: spans,
        metrics: 'otlp',
        otlp: { endpoint: `http://127.0.0.1:${otlpPort}` },
        metricExportIntervalMillis: 500,
        logLevel: 'none',
      });
      const { startServer } = await import('@otel-http/example-express/app');
      example = await startServer({ port: 0, host: '127.0.0.1' });
    }, 120_000);

    afterAll(async () => {
      await example?.close();
      await telemetry?.shutdown();
      await prometheusProcess?.stop();
      await collector?.stop();
      rmSync(directory, { recursive: true, force: true });
    });

    it('query_exemplars answers a latency query with the ids of the sampled requests', async () => {
      const from = Date.now() / 1000 - 5;
      for (const id of [1, 2, 3]) {
        await (await fetch(`${example.url}/users/${id}`)).arrayBuffer();
      }
      await telemetry.forceFlush();
      const ids = new Map(
        spans
          .getFinishedSpans()
          .filter((s) => s.attributes['http.route'] === '/users/:id')
          .map((s) => [s.spanContext().spanId, s.spanContext().traceId] as const),
      );
      expect(ids.size).toBe(3);

      const query =
        'histogram_quantile(0.99, sum by (le) (rate({__name__=~"http_server_request_duration(_seconds)?_bucket",http_route="/users/:id"}[1m])))';
      type Answer = {
        status: string;
        data: Array<{
          seriesLabels: Record<string, string>;
          exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
        }>;
      };
      let answer: Answer | undefined;
      const deadline = Date.now() + 45_000;
      for (;;) {
        const url = new URL(`${api}/api/v1/query_exemplars`);
        url.searchParams.set('query', query);
        url.searchParams.set('start', String(from));
        url.searchParams.set('end', String(Date.now() / 1000 + 5));
        answer = (await (await fetch(url)).json()) as Answer;
        if ((answer.data ?? []).some((s) => s.exemplars.length > 0)) break;
        if (Date.now() > deadline) {
          throw new Error(
            `no exemplar from Prometheus: ${JSON.stringify(answer)}\n` +
              `collector:\n${collector.output()}\nprometheus:\n${prometheusProcess.output()}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(answer.status).toBe('success');
      const stored = answer.data.flatMap((s) =>
        s.exemplars.map((e) => ({ ...e, series: s.seriesLabels })),
      );
      expect(stored.length).toBeGreaterThanOrEqual(1);
      for (const exemplar of stored) {
        expect(exemplar.series.http_route).toBe('/users/:id');
        expect(exemplar.series.job).toBe('collector');
        // Trace and span id of one of the example's requests, as the collector passed them on.
        expect(ids.get(exemplar.labels.span_id as string)).toBe(exemplar.labels.trace_id);
        expect(Number(exemplar.value)).toBeLessThanOrEqual(Number(exemplar.series.le));
        expect(Number(exemplar.value)).toBeGreaterThan(0);
      }
    }, 90_000);
  },
);

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
