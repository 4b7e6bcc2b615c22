// A real Prometheus (the `prometheus` binary, e.g. Debian's package) scraping the Express example
// with the observability stack's own scrape configuration and rules, then answering PromQL over its
// HTTP API: rate() and histogram_quantile() over the metric names the JS exporter really emits,
// every query of the Grafana dashboard and every expression of the rules. Then the error-ratio
// alert end to end: Prometheus fires it, a real Alertmanager delivers it to a webhook receiver in
// this test, and it resolves once the failing traffic stops.
//
// With a Go toolchain the same Prometheus also scrapes the Go shops (examples/go, Gin and Echo) in
// the same job, and every panel and rule must return a Go series beside the Node one: one
// dashboard and one rule set for both languages. The one exception is the active-requests panel,
// which has no Go series (neither otelgin nor otelhttp records http.server.active_requests).
// Without Go the Go part is skipped with its reason; in CI (`CI` set) a missing Go fails.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '@otel-http/example-distributed/launch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGo } from '../src/go.js';

const binary = findOnPath('prometheus');
if (binary === undefined) {
  console.warn(
    'The prometheus binary is not installed: the Prometheus test is skipped. ' +
      'Install it (Debian: apt-get install prometheus) to run it; CI does.',
  );
}

const hasGo = spawnSync('go', ['version']).status === 0;
/** The Go frameworks scraped beside Express: none without a Go toolchain (outside CI). */
const GO_FRAMEWORKS = hasGo ? ['gin', 'echo'] : [];
/** Their default metrics ports, as prometheus.yml has them. */
const GO_METRICS_PORTS: Record<string, number> = { gin: 9469, echo: 9474 };
if (!hasGo && binary !== undefined) {
  console.warn(
    process.env.CI
      ? 'No Go toolchain on PATH: CI must scrape the Go shops, the Prometheus test fails.'
      : 'No Go toolchain on PATH: the Prometheus test scrapes Express only; the Go series are not asserted.',
  );
}

const observability = new URL('../../observability/', import.meta.url);
const readShipped = (path: string) => readFileSync(new URL(path, observability), 'utf8');

const title =
  binary === undefined
    ? 'a real Prometheus scraping the Express example (skipped: no prometheus binary on PATH; Debian: apt-get install prometheus)'
    : hasGo
      ? 'a real Prometheus scraping the Express example and the Go shops (gin, echo)'
      : 'a real Prometheus scraping the Express example (Go shops skipped: no Go toolchain on PATH)';

describe.skipIf(binary === undefined)(title, () => {
  const directory = mkdtempSync(join(tmpdir(), 'otel-http-prometheus-'));
  let prometheus: ChildProcess;
  let api: string;
  let example: { url: string; close(): Promise<void> };
  let telemetry: { shutdown(): Promise<void> } | undefined;
  let trafficRunning = true;
  let traffic: Promise<void>;
  const goShops: { framework: string; url: string; metricsUrl?: string; stop(): Promise<void> }[] =
    [];
  let goTraffic: Promise<void>[] = [];
  let removeGoBuild = () => {};
  /** The frameworks every panel and rule must return a series for. */
  const frameworks = ['express', ...GO_FRAMEWORKS];
  const alertmanagerBinary = findOnPath('prometheus-alertmanager') ?? findOnPath('alertmanager');
  let alertmanager: ChildProcess | undefined;
  let webhook: Server;
  /** What Alertmanager delivered to the webhook: one entry per alert per notification. */
  const delivered: { at: string; status: string; labels: Record<string, string> }[] = [];

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
    traffic = sendTrafficUntilStopped(
      example.url,
      () => trafficRunning,
      () => errorsRunning,
    );

    // The Go shops, built from examples/go, on free ports, with their metrics on loopback.
    if (!hasGo && process.env.CI) {
      throw new Error('CI must scrape the Go shops: no Go toolchain on PATH');
    }
    if (hasGo) {
      const built = buildGo({ ...process.env, OTEL_HTTP_COMPARE_GO: '1' });
      if (!built.available) throw new Error(built.note);
      removeGoBuild = built.remove;
      for (const framework of GO_FRAMEWORKS) {
        const shop = await launch({
          command: [built.programs[framework] as string],
          env: {
            ...process.env,
            HOST: '127.0.0.1',
            PORT: '0',
            OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
            OTEL_EXPORTER_PROMETHEUS_PORT: '0',
            OTEL_TRACES_EXPORTER: 'none',
            LOG_LEVEL: 'info',
          },
          timeoutMs: 60_000,
        });
        goShops.push({ framework, ...shop });
      }
      goTraffic = goShops.map((shop) =>
        sendTrafficUntilStopped(
          shop.url,
          () => trafficRunning,
          () => errorsRunning,
        ),
      );
    }

    // The webhook receiver Alertmanager delivers to, and Alertmanager with the shipped
    // configuration pointed at it (and its waits shortened).
    webhook = createHttpServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const notification = JSON.parse(body);
        for (const alert of notification.alerts) {
          delivered.push({
            at: new Date().toISOString(),
            status: alert.status,
            labels: alert.labels,
          });
        }
        response.end();
      });
    }).listen(0, '127.0.0.1');
    await once(webhook, 'listening');
    const webhookPort = (webhook.address() as { port: number }).port;
    const alertmanagerUrl = `127.0.0.1:${await freePort()}`;
    if (alertmanagerBinary !== undefined) {
      const shippedAlertmanager = readShipped('alertmanager/alertmanager.yml');
      expect(shippedAlertmanager).toContain('http://host.docker.internal:9099/alerts');
      writeFileSync(
        join(directory, 'alertmanager.yml'),
        shippedAlertmanager
          .replace('host.docker.internal:9099', `127.0.0.1:${webhookPort}`)
          .replace('group_wait: 30s', 'group_wait: 1s')
          .replace('group_interval: 5m', 'group_interval: 1s'),
      );
      alertmanager = spawn(
        alertmanagerBinary,
        [
          `--config.file=${join(directory, 'alertmanager.yml')}`,
          `--storage.path=${join(directory, 'alertmanager')}`,
          `--web.listen-address=${alertmanagerUrl}`,
          '--cluster.listen-address=',
          '--log.level=error',
        ],
        { stdio: 'ignore' },
      );
      const up = await poll(
        async () => (await fetch(`http://${alertmanagerUrl}/-/ready`)).ok,
        30_000,
      );
      if (!up) throw new Error('Alertmanager did not get ready');
    }

    // The shipped configuration, with the Express target on this machine and a faster scrape.
    // The target of the `app` job (startTelemetry()'s default port) is the same example, standing
    // in for an application started with no configuration.
    const shipped = readShipped('prometheus/prometheus.yml');
    expect(shipped).toContain('host.docker.internal:9465');
    expect(shipped).toContain('host.docker.internal:9464');
    for (const framework of GO_FRAMEWORKS) {
      expect(shipped).toContain(`host.docker.internal:${GO_METRICS_PORTS[framework]}`);
    }
    expect(shipped).toContain('scrape_interval: 5s');
    expect(shipped).toContain('  - rules/*.rules.yml');
    expect(shipped).toContain('"alertmanager:9093"');
    // The rules on a shorter clock (windows of seconds, `for` of 3 s), so that an alert fires and
    // resolves within the test; promtool's unit tests (rules.test.ts) cover the real windows.
    const scaled = scaleRules(readShipped('prometheus/rules/otel-http-red.rules.yml'));
    writeFileSync(join(directory, 'otel-http-red.rules.yml'), scaled);
    let goTargets = shipped;
    for (const shop of goShops) {
      goTargets = goTargets.replace(
        `host.docker.internal:${GO_METRICS_PORTS[shop.framework]}`,
        new URL(shop.metricsUrl as string).host,
      );
    }
    const config = goTargets
      .replace('host.docker.internal:9465', target)
      .replace('host.docker.internal:9464', target)
      .replace('"alertmanager:9093"', `"${alertmanagerUrl}"`)
      .replace(
        '  - rules/*.rules.yml',
        `  - ${JSON.stringify(join(directory, 'otel-http-red.rules.yml'))}`,
      )
      .replaceAll('scrape_interval: 5s', 'scrape_interval: 1s')
      .replaceAll('evaluation_interval: 5s', 'evaluation_interval: 1s');
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
    await Promise.all([traffic, ...goTraffic]);
    await Promise.all(goShops.map((shop) => shop.stop()));
    removeGoBuild();
    for (const child of [prometheus, alertmanager]) {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
    await new Promise((resolve) => webhook?.close(resolve));
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
      (result) =>
        frameworks.every(
          (framework) => sampleValue(result, { framework, http_route: '/users/:id' }) > 0,
        ),
    );
    expect(labelsOf(rates, { framework: 'express', http_route: '/users/:id' })).toEqual({
      framework: 'express',
      http_route: '/users/:id',
    });
    // The Go shops' series are there under the same name and labels.
    for (const framework of frameworks) {
      expect(
        sampleValue(rates, { framework, http_route: '/users/:id' }),
        framework,
      ).toBeGreaterThan(0);
    }

    const p95 = await queryUntil(
      'histogram_quantile(0.95, sum by (le, http_route) (rate(http_server_request_duration_bucket{job="otel-http-examples"}[10s])))',
      (result) => Number.isFinite(sampleValue(result, { http_route: '/orders/:id' })),
    );
    const seconds = sampleValue(p95, { http_route: '/orders/:id' });
    // Within the advised buckets (the largest is 10 s), and more than nothing.
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(10);

    // The unit is in the metadata, not in the name: no `_seconds` series exist, from Node or from
    // Go (configured without unit suffixes).
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
    // The one panel without a Go series: Go's instrumentations record no active requests.
    const nodeOnly = (expression: string) => expression.includes('http_server_active_requests');
    expect(expressions.filter(nodeOnly)).toHaveLength(1);
    for (const expression of expressions) {
      const expected = nodeOnly(expression) ? ['express'] : frameworks;
      const promql = expression
        .replaceAll('$__rate_interval', '10s')
        .replaceAll('$job', 'otel-http-examples')
        .replaceAll('$framework', frameworks.join('|'))
        .replaceAll('$route', '.*');
      const hasSeries = (series: Series[], framework: string) =>
        series.some(
          (entry) =>
            entry.metric.framework === framework && Number.isFinite(Number(entry.value[1])),
        );
      const result = await queryUntil(promql, (series) =>
        expected.every((framework) => hasSeries(series, framework)),
      );
      for (const framework of expected)
        expect(hasSeries(result, framework), `${framework}: ${expression}`).toBe(true);
      if (nodeOnly(expression)) {
        for (const framework of GO_FRAMEWORKS) {
          expect(hasSeries(result, framework), `${framework} has active requests`).toBe(false);
        }
      }
      if (expression.includes('error_type!=""')) {
        // The error ratio: every /error request fails, no /users/:id request does, in both
        // languages (Go's 5xx carry error.type="500").
        for (const framework of frameworks) {
          expect(sampleValue(result, { framework, http_route: '/error' }), framework).toBe(1);
          expect(sampleValue(result, { framework, http_route: '/users/:id' }), framework).toBe(0);
        }
      }
    }
  });

  it("answers every variable query of the Grafana dashboard (label_values) with the example's values", async () => {
    const dashboard = JSON.parse(readShipped('grafana/dashboards/otel-http-red.json'));
    const variables: { name: string; query: { query: string } }[] = dashboard.templating.list;
    const values: Record<string, string> = { job: 'otel-http-examples', framework: 'express' };
    const expected: Record<string, string> = {
      job: 'otel-http-examples',
      framework: 'express',
      route: '/users/:id',
    };
    expect(variables.map((variable) => variable.name)).toEqual(Object.keys(expected));
    for (const variable of variables) {
      const match = /^label_values\((.+), (\w+)\)$/.exec(variable.query.query);
      expect(match, variable.query.query).not.toBeNull();
      const selector = (match?.[1] ?? '').replace(
        /\$(\w+)/g,
        (_, name: string) => values[name] ?? '.*',
      );
      const url = `${api}/api/v1/label/${match?.[2]}/values?match[]=${encodeURIComponent(selector)}`;
      const body = await (await fetch(url)).json();
      expect(body.status).toBe('success');
      expect(body.data, variable.name).toContain(expected[variable.name]);
      if (variable.name === 'framework')
        expect(body.data).toEqual(expect.arrayContaining(frameworks));
    }
  });

  it('answers every expression of the shipped rules, on the real windows', async () => {
    const rules = ruleExpressions(readShipped('prometheus/rules/otel-http-red.rules.yml'));
    const file = fileURLToPath(new URL('prometheus/rules/otel-http-red.rules.yml', observability));
    const check = spawnSync(findOnPath('promtool') as string, ['check', 'rules', file], {
      encoding: 'utf8',
    });
    expect(check.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    // Alerts that hold while /error fails every request; the latency alerts do not (the example is
    // fast), so their expressions are only required to evaluate, and the recordings they read
    // to have data.
    const holding = /^(HttpRouteErrorRatioHigh|HttpRouteAvailabilityBurn)/;
    // The objectives are per route, not per service: constants, and the routes they apply to,
    // with no framework label to tell the languages apart.
    const perRoute = /^otel_http_slo:/;
    for (const rule of rules) {
      let result: Series[] = [];
      const expected = rule.record !== undefined || holding.test(rule.alert as string);
      const perFramework = expected && !perRoute.test(rule.record ?? '');
      const seriesOf = (framework: string) =>
        rule.alert !== undefined
          ? labelsOf(result, { http_route: '/error', job: 'otel-http-examples', framework })
          : labelsOf(result, { job: 'otel-http-examples', framework });
      await poll(async () => {
        result = await query(rule.expr);
        if (perFramework) return frameworks.every((framework) => seriesOf(framework) !== undefined);
        return !expected || result.length > 0;
      }, 30_000);
      if (!expected) continue;
      const name = `${rule.record ?? rule.alert}: ${rule.expr}`;
      expect(result.length, name).toBeGreaterThan(0);
      if (!perFramework) continue;
      for (const framework of frameworks) {
        expect(seriesOf(framework), `${framework}, ${name}`).toMatchObject({
          service: `example-${framework}`,
          framework,
        });
      }
    }
  });

  it.skipIf(alertmanagerBinary === undefined)(
    'fires the error-ratio alert for /error through Alertmanager to a webhook, and resolves it when the failures stop',
    async () => {
      const isErrorRatio = (entry: (typeof delivered)[number], status: string) =>
        entry.status === status &&
        entry.labels.alertname === 'HttpRouteErrorRatioHigh' &&
        entry.labels.http_route === '/error' &&
        entry.labels.service === 'example-express';
      const fired = await poll(
        async () => delivered.some((entry) => isErrorRatio(entry, 'firing')),
        60_000,
      );
      expect(fired, JSON.stringify(delivered.slice(-5))).toBe(true);
      const firing = delivered.find((entry) => isErrorRatio(entry, 'firing'));
      expect(firing?.labels).toMatchObject({
        service: 'example-express',
        framework: 'express',
        job: 'otel-http-examples',
        severity: 'warning',
      });
      // No alert for a route that does not fail.
      expect(delivered.filter((entry) => entry.labels.http_route === '/users/:id')).toEqual([]);

      errorsRunning = false;
      const resolved = await poll(
        async () => delivered.some((entry) => isErrorRatio(entry, 'resolved')),
        90_000,
      );
      expect(resolved, JSON.stringify(delivered.slice(-5))).toBe(true);
      const resolution = delivered.find((entry) => isErrorRatio(entry, 'resolved'));
      console.log(
        `HttpRouteErrorRatioHigh /error: firing delivered ${firing?.at}, resolved delivered ${resolution?.at}`,
      );
    },
    180_000,
  );

  it('shows a stopped example as a target that is down, and keeps answering', async () => {
    trafficRunning = false;
    await Promise.all([traffic, ...goTraffic]);
    // The example's metrics endpoint is the SDK's: shutting it down stops the endpoint.
    await telemetry?.shutdown();
    telemetry = undefined;
    const down = await queryUntil('up{job="otel-http-examples", framework="express"}', (result) =>
      result.some((entry) => entry.value[1] === '0'),
    );
    expect(down.map((entry) => entry.value[1])).toEqual(['0']);
    // The series it left are marked stale, and still there to query over a range.
    expect(
      (await query('count(last_over_time(http_server_request_duration_count[5m]))')).length,
    ).toBe(1);
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

/** Every `expr` of a rule file in the style of ours (`expr:` inline, or `>-` and indented lines). */
function ruleExpressions(text: string) {
  const rules: { record?: string; alert?: string; expr: string }[] = [];
  const lines = text.split('\n');
  let current: { record?: string; alert?: string } = {};
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    const name = /^\s+- (record|alert): (\S+)/.exec(line);
    if (name) current = { [name[1] as string]: name[2] };
    const expr = /^(\s+)expr: (.*)$/.exec(line);
    if (!expr) continue;
    let value = expr[2] as string;
    if (value === '>-') {
      const indent = (expr[1] as string).length;
      const body: string[] = [];
      while ((/^(\s*)/.exec(lines[index + 1] ?? '')?.[1]?.length ?? 0) > indent)
        body.push((lines[++index] as string).trim());
      value = body.join(' ');
    }
    rules.push({ ...current, expr: value });
  }
  return rules;
}

/** The rules on a clock of seconds instead of minutes: the windows and the `for` durations. */
function scaleRules(text: string) {
  const windows: Record<string, string> = {
    '5m': '10s',
    '30m': '15s',
    '1h': '20s',
    '6h': '30s',
    '3d': '40s',
  };
  return text
    .replace(/\[(5m|30m|1h|6h|3d)\]/g, (_, window: string) => `[${windows[window]}]`)
    .replace(/for: \d+[mh]/g, 'for: 3s');
}

let errorsRunning = true;

/** The example's routes, over and over, so that every series keeps a rate (/error until told). */
async function sendTrafficUntilStopped(
  url: string,
  running: () => boolean,
  failing: () => boolean = () => true,
) {
  const order = JSON.stringify({ userId: '1', items: [{ productId: 'p1', quantity: 1 }] });
  while (running()) {
    await Promise.all([
      fetch(`${url}/users/1`).then((r) => r.arrayBuffer()),
      fetch(`${url}/orders/2`).then((r) => r.arrayBuffer()),
      failing() ? fetch(`${url}/error`).then((r) => r.arrayBuffer()) : undefined,
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
