// OpenMetrics on the Prometheus endpoint: a scraper that asks for it gets the same series as the
// Prometheus text output, plus exemplars on the duration buckets that name the sampled request's
// trace and span. Then a real Prometheus (Debian's package; CI installs it) with exemplar storage
// scrapes the endpoint and answers `query_exemplars` for a PromQL latency query with those ids.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '../src/index.js';
import { prefersOpenMetrics } from '../src/openmetrics.js';
import { resetGlobals } from './support/globals.js';
import {
  closedPort,
  type InstrumentedServer,
  startInstrumentedServer,
} from './support/loopback.js';

const OPENMETRICS = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
  readonly exemplar?: { labels: Record<string, string>; value: number; time: number };
}

const LABELS = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const parseLabels = (text: string | undefined) => {
  const labels: Record<string, string> = {};
  for (const [, name, value] of (text ?? '').matchAll(LABELS)) {
    labels[name as string] = (value as string).replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
  }
  return labels;
};

/** The samples of a Prometheus text or OpenMetrics exposition, with OpenMetrics exemplars. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*?)\})? (\S+)(?: # \{(.*)\} (\S+) (\S+))?$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    samples.push({
      name: match[1] as string,
      labels: parseLabels(match[2]),
      value: Number(match[3]),
      ...(match[4] !== undefined && {
        exemplar: {
          labels: parseLabels(match[4]),
          value: Number(match[5]),
          time: Number(match[6]),
        },
      }),
    });
  }
  return samples;
}

const key = (s: Sample) =>
  `${s.name}{${Object.entries(s.labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
const series = (samples: readonly Sample[]) =>
  Object.fromEntries(samples.map((s) => [key(s), s.value]));

let telemetry: Telemetry | undefined;
let service: InstrumentedServer | undefined;
afterEach(async () => {
  await service?.close();
  await telemetry?.shutdown();
  service = undefined;
  telemetry = undefined;
  resetGlobals();
});

async function start(): Promise<{ metricsUrl: string; spans: InMemorySpanExporter }> {
  const spans = new InMemorySpanExporter();
  telemetry = startTelemetry({
    serviceName: 'catalog',
    traces: spans,
    metrics: 'prometheus',
    prometheus: { host: '127.0.0.1', port: 0 },
    logLevel: 'none',
  });
  const { prometheusUrl } = await telemetry.ready;
  service = await startInstrumentedServer(async (req, res, handle) => {
    if (req.url?.startsWith('/items/')) {
      handle?.setRoute('/items/:id');
      // A slow request, so that two buckets get an exemplar.
      if (req.url === '/items/slow') await new Promise((resolve) => setTimeout(resolve, 120));
      res.end('{"ok":true}');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  return { metricsUrl: prometheusUrl as string, spans };
}

async function get(url: string): Promise<void> {
  await (await fetch(url)).arrayBuffer();
}

describe('the Prometheus endpoint in OpenMetrics', () => {
  it('asks the Accept header: OpenMetrics 1.0 when preferred, the text format otherwise', () => {
    // What Prometheus sends by default.
    expect(
      prefersOpenMetrics(
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      ),
    ).toBe(true);
    expect(prefersOpenMetrics('application/openmetrics-text')).toBe(true);
    expect(prefersOpenMetrics(undefined)).toBe(false);
    expect(prefersOpenMetrics('*/*')).toBe(false);
    expect(prefersOpenMetrics('text/plain;version=0.0.4')).toBe(false);
    expect(prefersOpenMetrics('application/openmetrics-text;version=0.0.1')).toBe(false);
    expect(prefersOpenMetrics('application/openmetrics-text;q=0.2,text/plain')).toBe(false);
    expect(prefersOpenMetrics('application/openmetrics-text;q=0,*/*')).toBe(false);
  });

  it('the same series as the text output, exemplars naming the sampled spans, and # EOF', async () => {
    const { metricsUrl, spans } = await start();
    const base = service?.url as string;
    for (const path of ['/items/1', '/items/2', '/items/slow', '/nothing']) await get(base + path);

    const text = await fetch(metricsUrl);
    const open = await fetch(metricsUrl, { headers: { accept: OPENMETRICS } });
    expect(text.headers.get('content-type')).toBe('text/plain');
    expect(open.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    const [textBody, openBody] = [await text.text(), await open.text()];
    expect(openBody.endsWith('\n# EOF\n')).toBe(true);
    // Every sample of the text output, and nothing else (the scrapes themselves are not traced).
    expect(series(parse(openBody))).toEqual(series(parse(textBody)));
    expect(textBody).not.toContain(' # {');
    // OpenMetrics names the counter and info families without their sample suffixes.
    expect(openBody).toContain('# TYPE target info\n');
    expect(openBody).toContain('# TYPE http_server_request_duration histogram\n');

    await telemetry?.forceFlush();
    const ended = spans.getFinishedSpans();
    expect(ended).toHaveLength(4);
    const withExemplar = parse(openBody).filter((s) => s.exemplar !== undefined);
    expect(withExemplar.length).toBeGreaterThanOrEqual(2);
    for (const sample of withExemplar) {
      expect(sample.name).toBe('http_server_request_duration_bucket');
      const exemplar = sample.exemplar as NonNullable<Sample['exemplar']>;
      const span = ended.find((s) => s.spanContext().spanId === exemplar.labels.span_id);
      expect(span, `a span for exemplar ${JSON.stringify(exemplar)}`).toBeDefined();
      expect(exemplar.labels.trace_id).toBe(span?.spanContext().traceId);
      // The exemplar's series is its span's: same route and status.
      expect(sample.labels.http_route ?? '').toBe(span?.attributes['http.route'] ?? '');
      expect(sample.labels.http_response_status_code).toBe(
        String(span?.attributes['http.response.status_code']),
      );
      // In its bucket, and at the span's end.
      expect(exemplar.value).toBeLessThanOrEqual(Number(sample.labels.le));
      const end = (span?.endTime[0] ?? 0) + (span?.endTime[1] ?? 0) / 1e9;
      expect(Math.abs(exemplar.time - end)).toBeLessThan(0.05);
    }
    const slow = ended.find((s) => s.attributes['url.path'] === '/items/slow');
    const slowExemplar = withExemplar.find(
      (s) => s.exemplar?.labels.span_id === slow?.spanContext().spanId,
    );
    expect(slowExemplar?.exemplar?.value).toBeGreaterThanOrEqual(0.1);
  });

  it('unsampled requests leave no exemplar', async () => {
    process.env.OTEL_TRACES_SAMPLER = 'always_off';
    try {
      const { metricsUrl } = await start();
      for (const path of ['/items/1', '/items/slow']) await get(`${service?.url}${path}`);
      const body = await (await fetch(metricsUrl, { headers: { accept: OPENMETRICS } })).text();
      expect(parse(body).filter((s) => s.name === 'http_server_request_duration_count')).toEqual([
        expect.objectContaining({ value: 2 }),
      ]);
      expect(body).not.toContain(' # {');
    } finally {
      delete process.env.OTEL_TRACES_SAMPLER;
    }
  });
});

const prometheus = findOnPath('prometheus');
const title =
  prometheus === undefined
    ? 'a real Prometheus stores the exemplars (skipped: no prometheus binary on PATH; Debian: apt-get install prometheus)'
    : 'a real Prometheus with exemplar storage scrapes them and answers query_exemplars';

describe.skipIf(prometheus === undefined)(title, () => {
  let child: ChildProcess | undefined;
  const directory = mkdtempSync(join(tmpdir(), 'otel-http-exemplars-'));
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(directory, { recursive: true, force: true });
  });

  it('a PromQL latency query returns the trace and span ids of the sampled requests', async () => {
    const { metricsUrl, spans } = await start();
    const target = new URL(metricsUrl);
    writeFileSync(
      join(directory, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: catalog',
        `    metrics_path: ${target.pathname}`,
        '    static_configs:',
        `      - targets: ['${target.host}']`,
        '',
      ].join('\n'),
    );
    const api = `http://127.0.0.1:${await closedPort()}`;
    child = spawn(
      prometheus as string,
      [
        `--config.file=${join(directory, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(directory, 'data')}`,
        `--web.listen-address=${new URL(api).host}`,
        '--enable-feature=exemplar-storage',
        '--log.level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr?.on('data', (chunk) => {
      log += chunk;
    });
    await poll(async () => (await fetch(`${api}/-/ready`)).ok, `Prometheus ready:\n${log}`);

    const from = Date.now() / 1000 - 5;
    for (const path of ['/items/1', '/items/slow', '/items/2']) await get(`${service?.url}${path}`);
    const query =
      'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_bucket{http_route="/items/:id"}[1m])))';
    type Answer = {
      status: string;
      data: Array<{
        seriesLabels: Record<string, string>;
        exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
      }>;
    };
    let answer: Answer | undefined;
    await poll(
      async () => {
        const url = new URL(`${api}/api/v1/query_exemplars`);
        url.searchParams.set('query', query);
        url.searchParams.set('start', String(from));
        url.searchParams.set('end', String(Date.now() / 1000 + 5));
        answer = (await (await fetch(url)).json()) as Answer;
        const stored = answer.data?.flatMap((s) => s.exemplars) ?? [];
        // The two buckets' exemplars (a scrape between the fast requests may store a third).
        return stored.length >= 2;
      },
      `two exemplars from query_exemplars:\n${log}\n${JSON.stringify(answer)}\n${await fetch(`${api}/api/v1/targets`).then((r) => r.text())}`,
    );

    await telemetry?.forceFlush();
    const ids = new Map(
      spans
        .getFinishedSpans()
        .map((s) => [s.spanContext().spanId, s.spanContext().traceId] as const),
    );
    expect(answer?.status).toBe('success');
    const stored = answer?.data.flatMap((s) =>
      s.exemplars.map((e) => ({ ...e, series: s.seriesLabels })),
    );
    for (const exemplar of stored ?? []) {
      expect(exemplar.series.__name__).toBe('http_server_request_duration_bucket');
      expect(exemplar.series.http_route).toBe('/items/:id');
      expect(ids.get(exemplar.labels.span_id as string)).toBe(exemplar.labels.trace_id);
      expect(Number(exemplar.value)).toBeLessThanOrEqual(Number(exemplar.series.le));
    }
    // The slow request's exemplar is in a bucket above 0.1 s.
    expect(stored?.some((e) => Number(e.value) >= 0.1 && Number(e.series.le) > 0.1)).toBe(true);
  }, 60_000);
});

async function poll(check: () => Promise<boolean>, what: string, timeoutMillis = 30_000) {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Not yet.
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
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
