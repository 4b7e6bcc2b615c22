// The observability stack's files, read as a user's machine would use them: no port the stack
// publishes is one an application of the quick starts or an example listens on, Prometheus
// scrapes startTelemetry()'s default port, and Jaeger is v2, configured to take the collector's
// OTLP. (Docker itself is not needed: the files are read, not started.)
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const observability = new URL('../../observability/', import.meta.url);
const readShipped = (path: string) => readFileSync(new URL(path, observability), 'utf8');

/** The application ports of the quick starts (3000), the examples and their metrics. */
const APPLICATION_PORTS = [
  3000,
  ...[3001, 3002, 3003, 3004],
  ...[4000, 4001, 4002, 4003],
  ...[9464, 9465, 9466, 9467, 9468, 9470, 9471, 9472, 9473],
];

describe('the observability stack', () => {
  const compose = readShipped('compose.yaml');

  it('publishes no host port an application or an example listens on', () => {
    const published = [...compose.matchAll(/^\s*- "(\d+):(\d+)"/gm)].map((match) =>
      Number(match[1]),
    );
    expect(published).toEqual(expect.arrayContaining([4317, 4318, 16686, 9090, 3300]));
    expect(published.filter((port) => APPLICATION_PORTS.includes(port))).toEqual([]);
  });

  it("scrapes startTelemetry()'s default port and every example's", () => {
    const prometheus = readShipped('prometheus/prometheus.yml');
    for (const port of APPLICATION_PORTS.filter((port) => port >= 9464)) {
      expect(prometheus).toContain(`"host.docker.internal:${port}"`);
    }
    expect(prometheus).toMatch(
      /job_name: app\n\s+static_configs:\n\s+- targets: \["host\.docker\.internal:9464"\]/,
    );
  });

  it('runs Jaeger v2 with a configuration that takes the OTLP the collector sends', () => {
    expect(compose).toMatch(/image: jaegertracing\/jaeger:2\.\d+\.\d+\n/);
    expect(compose).not.toContain('all-in-one');
    const mount = /- \.\/(jaeger\.yaml):\/etc\/jaeger\/config\.yaml:ro/.exec(compose);
    expect(mount).not.toBeNull();
    expect(existsSync(new URL(mount?.[1] as string, observability))).toBe(true);
    expect(compose).toContain('command: ["--config=/etc/jaeger/config.yaml"]');

    // Addresses come from the environment; the defaults are compose's.
    const jaeger = readShipped('jaeger.yaml');
    expect(jaeger).toMatch(/receivers: \[otlp\]/);
    expect(jaeger).toMatch(
      /grpc:\n\s+endpoint: \$\{env:JAEGER_OTLP_GRPC_LISTEN:-0\.0\.0\.0:4317\}/,
    );
    expect(jaeger).toMatch(/endpoint: \$\{env:JAEGER_QUERY_HTTP_ENDPOINT:-0\.0\.0\.0:16686\}/);
    expect(readShipped('otel-collector.yaml')).toMatch(
      /otlp\/jaeger:\n\s+endpoint: \$\{env:JAEGER_OTLP_GRPC_ENDPOINT:-jaeger:4317\}/,
    );
  });

  it('runs the versions CI runs without Docker, with the same configuration files', () => {
    // The collector is Jaeger's binary too (built from jaeger-build/go.mod, Jaeger 1.75.0 = 2.12.0).
    expect(readShipped('jaeger-build/go.mod')).toContain('github.com/jaegertracing/jaeger v1.75.0');
    expect(compose.match(/image: jaegertracing\/jaeger:2\.12\.0\n/g)).toHaveLength(2);
    expect(compose).toContain('- ./otel-collector.yaml:/etc/otelcol/config.yaml:ro');
    // Debian bookworm's prometheus 2.42 and prometheus-alertmanager 0.25.
    expect(compose).toContain('image: prom/prometheus:v2.42.0\n');
    expect(compose).toContain('image: prom/alertmanager:v0.25.0\n');
    expect(compose).toContain('- ./prometheus:/etc/prometheus:ro');
    expect(compose).toContain(
      '- ./alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro',
    );
  });
});

/** The fields Grafana 12 reads from a provisioned dashboard, its panels and its variables. */
describe('the Grafana dashboard JSON', () => {
  const dashboard = JSON.parse(readShipped('grafana/dashboards/otel-http-red.json'));
  const panels: Record<string, unknown>[] = dashboard.panels.flatMap(
    (panel: { panels?: Record<string, unknown>[] }) => [panel, ...(panel.panels ?? [])],
  );

  it('has a uid, a title, a schema version and a time range', () => {
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dashboard.title).toBeTypeOf('string');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.time).toEqual({ from: expect.any(String), to: expect.any(String) });
  });

  it('gives every panel a unique id, a known type, a grid position and Prometheus targets', () => {
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(['row', 'timeseries', 'stat', 'table', 'gauge', 'bargauge', 'text']).toContain(
        panel.type,
      );
      const grid = panel.gridPos as Record<string, number>;
      for (const key of ['h', 'w', 'x', 'y'])
        expect(Number.isInteger(grid[key]), `${panel.title} gridPos.${key}`).toBe(true);
      expect(grid.x + grid.w).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(panel.title).toBeTypeOf('string');
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: expect.any(String) });
      const targets = panel.targets as { refId: string; expr: string }[];
      expect(targets.length).toBeGreaterThan(0);
      expect(new Set(targets.map((target) => target.refId)).size).toBe(targets.length);
      for (const target of targets) expect(target.expr).toMatch(/http_server_/);
      expect(panel.fieldConfig).toMatchObject({
        defaults: expect.any(Object),
        overrides: expect.any(Array),
      });
    }
  });

  it('shows exemplars on the latency panels, linked to the trace in the Jaeger data source', () => {
    const latency = panels.flatMap((panel) =>
      ((panel.targets ?? []) as { expr: string; exemplar?: boolean }[]).filter((target) =>
        target.expr.includes('histogram_quantile('),
      ),
    );
    expect(latency).toHaveLength(3);
    for (const target of latency) expect(target.exemplar).toBe(true);
    // Prometheus keeps them (an experimental feature in 2.42), Grafana links their trace_id.
    expect(readShipped('compose.yaml')).toContain('- --enable-feature=exemplar-storage\n');
    const sources = readShipped('grafana/provisioning/datasources/datasources.yaml');
    expect(sources).toMatch(
      /exemplarTraceIdDestinations:\n\s+- name: trace_id\n\s+datasourceUid: jaeger\n/,
    );
    expect(sources).toMatch(/uid: jaeger\n\s+type: jaeger\n/);
  });

  it('declares every variable the queries use, as a Prometheus query variable', () => {
    const variables: Record<string, unknown>[] = dashboard.templating.list;
    const names = variables.map((variable) => variable.name);
    for (const variable of variables) {
      expect(variable.type).toBe('query');
      expect(variable.datasource).toEqual({ type: 'prometheus', uid: expect.any(String) });
      expect((variable.query as { query: string }).query).toMatch(/^label_values\(/);
      expect([1, 2]).toContain(variable.refresh);
      expect(variable.current).toEqual(expect.objectContaining({ value: expect.anything() }));
    }
    const used = new Set(
      JSON.stringify(dashboard.panels)
        .match(/\$(\w+)/g)
        ?.map((name) => name.slice(1))
        .filter((name) => !name.startsWith('__')),
    );
    for (const name of used) expect(names, `$${name}`).toContain(name);
  });
});
