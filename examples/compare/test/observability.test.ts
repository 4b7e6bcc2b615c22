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

    const jaeger = readShipped('jaeger.yaml');
    expect(jaeger).toMatch(/receivers: \[otlp\]/);
    expect(jaeger).toMatch(/grpc:\n\s+endpoint: 0\.0\.0\.0:4317/);
    expect(jaeger).toMatch(/endpoint: 0\.0\.0\.0:16686/);
    expect(readShipped('otel-collector.yaml')).toMatch(/otlp\/jaeger:\n\s+endpoint: jaeger:4317/);
  });
});
