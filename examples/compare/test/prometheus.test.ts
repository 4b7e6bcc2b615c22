// A real Prometheus (the `prometheus` binary, e.g. Debian's package) scraping the Express example
// with the observability stack's own scrape configuration, then answering PromQL over its HTTP API:
// rate() and histogram_quantile() over the metric names the JS exporter really emits, and every
// query of the Grafana dashboard.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const binary = findOnPath('prometheus');
if (binary === undefined) {
  console.warn(
    'The prometheus binary is not installed: the Prometheus test is skipped. ' +
      'Install it (Debian: apt-get install prometheus) to run it; CI does.',
  );
}

const observability = new URL('../../observability/', import.meta.url);
const readShipped = (path: string) => readFileSync(new URL(path, observability), 'utf8');

const title =
  binary === undefined
    ? 'a real Prometheus scraping the Express example (skipped: no prometheus binary on PATH; Debian: apt-get install prometheus)'
    : 'a real Prometheus scraping the Express example';

describe.skipIf(binary === undefined)(title, () => {
  const directory = mkdtempSync(join(tmpdir(), 'otel-http-prometheus-'));
  let prometheus: ChildProcess;
  let api: string;
  let example: { url: string; close(): Promise<void> };
  let telemetry: { shutdown(): Promise<void> };
  let trafficRunning = true;
  let traffic: Promise<void>;

  beforeAll(async () => {
    process.env.LOG_LEVEL = 'silent';
    const { startTelemetry } = await import('@otel-http/node');
    const started = startTelemetry({
      serviceName: 'example-express',
      traces: 'none',
      metrics: 'prometheus',
      prometheus: { host: '127.0.0.1', port: 0 },
      logLevel: 'none',
    });
    telemetry = started;
    const { prometheusUrl } = await started.ready;
    const target = new URL(prometheusUrl as string).host;
    const { startServer } = await import('@otel-http/example-express/app');
    example = await startServer({ port: 0, host: '127.0.0.1' });
    traffic = sendTrafficUntilStopped(example.url, () => trafficRunning);

    // The shipped configuration, with the Express target on this machine and a faster scrape.
    // The target of the `app` job (startTelemetry()'s default port) is the same example, standing
    // in for an application started with no configuration.
    const shipped = readShipped('prometheus/prometheus.yml');
    expect(shipped).toContain('host.docker.internal:9465');
    expect(shipped).toContain('host.docker.internal:9464');
    expect(shipped).toContain('scrape_interval: 5s');
    const config = shipped
      .replace('host.docker.internal:9465', target)
      .replace('host.docker.internal:9464', target)
      .replaceAll('scrape_interval: 5s', 'scrape_interval: 1s');
    writeFileSync(join(directory, 'prometheus.yml'), config);

    api = `http://127.0.0.1:${await freePort()}`;
    prometheus = spawn(
      binary as string,
      [
        `--config.file=${join(directory, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(directory, 'data')}`,
        `--web.listen-address=${new URL(api).host}`,
        '--log.level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prometheus.stderr?.on('data', (chunk) => {
      log += chunk;
    });
    const ready = await poll(async () => (await fetch(`${api}/-/ready`)).ok, 30_000);
    if (!ready) throw new Error(`Prometheus did not get ready:\n${log}`);
  });

  afterAll(async () => {
    trafficRunning = false;
    await traffic;
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
    }
    await example?.close();
    await telemetry?.shutdown();
    rmSync(directory, { recursive: true, force: true });
  });

  it('is given a configuration promtool accepts', () => {
    const promtool = findOnPath('promtool');
    expect(promtool, 'promtool comes with prometheus').toBeDefined();
    const config = fileURLToPath(new URL('prometheus/prometheus.yml', observability));
    const check = spawnSync(promtool as string, ['check', 'config', config], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('SUCCESS');
  });

  it('answers rate() and histogram_quantile() over http_server_request_duration with numbers', async () => {
    const rates = await queryUntil(
      'sum by (framework, http_route) (rate(http_server_request_duration_count{job="otel-http-examples"}[10s]))',
      (result) => sampleValue(result, { http_route: '/users/:id' }) > 0,
    );
    expect(labelsOf(rates, { http_route: '/users/:id' })).toEqual({
      framework: 'express',
      http_route: '/users/:id',
    });

    const p95 = await queryUntil(
      'histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_request_duration_bucket{job="otel-http-examples"}[10s])))',
      (result) => Number.isFinite(sampleValue(result, { http_route: '/orders/:id' })),
    );
    const seconds = sampleValue(p95, { http_route: '/orders/:id' });
    // Within the advised buckets (the largest is 10 s), and more than nothing.
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(10);

    // The unit is in the metadata, not in the name: no `_seconds` series exist.
    const suffixed = await query('count({__name__=~"http_server_request_duration_seconds.*"})');
    expect(suffixed).toEqual([]);
  });

  it("scrapes an application on startTelemetry()'s default port as the job the dashboard opens with", async () => {
    const jobs = await queryUntil('count by (job) (http_server_request_duration_count)', (result) =>
      result.some((entry) => entry.metric.job === 'app'),
    );
    expect(jobs.map((entry) => entry.metric.job).sort()).toEqual(['app', 'otel-http-examples']);
    const dashboard = JSON.parse(readShipped('grafana/dashboards/otel-http-red.json'));
    const job = dashboard.templating.list.find(
      (variable: { name: string }) => variable.name === 'job',
    );
    expect(job.current.value).toContain('app');
  });

  it('answers every query of the Grafana dashboard', async () => {
    const dashboard = JSON.parse(readShipped('grafana/dashboards/otel-http-red.json'));
    const expressions: string[] = dashboard.panels.flatMap(
      (panel: { targets?: { expr: string }[] }) =>
        panel.targets?.map((target) => target.expr) ?? [],
    );
    expect(expressions.length).toBeGreaterThanOrEqual(7);
    for (const expression of expressions) {
      const promql = expression
        .replaceAll('$__rate_interval', '10s')
        .replaceAll('$job', 'otel-http-examples')
        .replaceAll('$framework', 'express')
        .replaceAll('$route', '.*');
      const result = await queryUntil(promql, (series) =>
        series.some((entry) => Number.isFinite(Number(entry.value[1]))),
      );
      expect(result.length, expression).toBeGreaterThan(0);
      if (expression.includes('error_type!=""')) {
        // The error ratio: every /error request fails, no /users/:id request does.
        expect(sampleValue(result, { http_route: '/error' })).toBe(1);
        expect(sampleValue(result, { http_route: '/users/:id' })).toBe(0);
      }
    }
  });

  type Series = { metric: Record<string, string>; value: [number, string] };

  async function query(promql: string): Promise<Series[]> {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = await response.json();
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data.result;
  }

  /** Queries until `done` holds (scrapes take a few seconds to give a rate), at most 30 s. */
  async function queryUntil(promql: string, done: (result: Series[]) => boolean) {
    let result: Series[] = [];
    await poll(async () => {
      result = await query(promql);
      return done(result);
    }, 30_000);
    return result;
  }
});

function findSeries(result: { metric: Record<string, string> }[], labels: Record<string, string>) {
  return result.find((entry) =>
    Object.entries(labels).every(([key, value]) => entry.metric[key] === value),
  );
}

function sampleValue(
  result: { metric: Record<string, string>; value: [number, string] }[],
  labels: Record<string, string>,
) {
  const entry = findSeries(result, labels);
  return entry === undefined ? Number.NaN : Number(entry.value[1]);
}

function labelsOf(result: { metric: Record<string, string> }[], labels: Record<string, string>) {
  return findSeries(result, labels)?.metric;
}

/** The example's routes, over and over, so that every series keeps a rate. */
async function sendTrafficUntilStopped(url: string, running: () => boolean) {
  const order = JSON.stringify({ userId: '1', items: [{ productId: 'p1', quantity: 1 }] });
  while (running()) {
    await Promise.all([
      fetch(`${url}/users/1`).then((r) => r.arrayBuffer()),
      fetch(`${url}/orders/2`).then((r) => r.arrayBuffer()),
      fetch(`${url}/error`).then((r) => r.arrayBuffer()),
      fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: order,
      }).then((r) => r.arrayBuffer()),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function poll(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return true;
    } catch {
      // Not up yet.
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

function findOnPath(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
