import { describe, expect, it } from 'vitest';
import type { Mode } from '../src/matrix.mjs';
import { renderMarkdown } from '../src/report/markdown.mjs';
import { buildResult, type Meta } from '../src/report/result.mjs';
import { escapeXml, niceTicks, renderSvg } from '../src/report/svg.mjs';
import type { Run } from '../src/stats.mjs';
import { collectWarnings, rebuiltWarning, runOnlyWarnings } from '../src/warnings.mjs';
import { makeRun } from './runs.js';

const MODES: Mode[] = ['bare', 'metrics', 'otel-http', 'otel-http-10%', 'official', 'floor'];

function meta(overrides: Partial<Meta> = {}): Meta {
  return {
    date: '2026-01-02T03:04:05.000Z',
    quick: false,
    serverNode: 'v24.1.0',
    harnessNode: 'v20.20.2',
    platform: 'Linux 6.1 x64',
    cpus: 2,
    cpuModel: 'Test CPU',
    pinning: { server: 1, load: 0 },
    protocol: { rounds: 2, warmupSeconds: 2, durationSeconds: 8, connections: 50 },
    loadAverage: { start: [0.2, 0.3, 0.4], end: [2, 1, 0.5] },
    foreignCpu: { median: 0.01, min: 0, max: 0.02, n: 12 },
    packages: { express: '5.3.0', '@otel-http/core': '0.1.0' },
    commit: 'abc1234',
    warnings: [],
    ...overrides,
  };
}

/** Two rounds of express and koa; otel-http at 0.90 and 0.80 of bare. */
function runs(): Run[] {
  const ratios: Record<string, number> = {
    bare: 1,
    metrics: 0.98,
    'otel-http': 0.9,
    'otel-http-10%': 0.95,
    official: 0.7,
    floor: 0.92,
  };
  return ['express', 'koa'].flatMap((framework) =>
    [0, 1].flatMap((round) =>
      MODES.map((mode) => {
        const ratio = (ratios[mode] as number) - (round === 1 && mode === 'otel-http' ? 0.1 : 0);
        return makeRun({
          framework: framework as 'express' | 'koa',
          mode,
          round,
          requestsPerSecond: 10_000 * ratio,
          cpuPerRequestUs: 100 / ratio,
        });
      }),
    ),
  );
}

describe('renderMarkdown', () => {
  it('has one table row per framework and mode with the per-round ratio spread', () => {
    const markdown = renderMarkdown(buildResult(meta(), runs(), ['express', 'koa'], MODES));
    const rows = markdown.split('\n').filter((line) => /^\| (express|koa) \| [a-z]/.test(line));
    expect(rows).toHaveLength(2 * MODES.length);
    expect(markdown).toContain('| express | otel-http | 8,500 | 0.85 (0.80–0.90) |');
    expect(markdown).toContain('| koa | bare | 10,000 | 1 |');
    expect(markdown).toMatch(/\| koa \| bare \| 10,000 \| 1 \| 4 \| 9 \| 100\.0 \| 1\.5 \| 1 \|/);
    expect(markdown).toContain('Node v24.1.0');
    expect(markdown).toContain('| express | 5.3.0 |');
    expect(markdown).toContain(
      '| share of bare req/s otel-http keeps | ≥ 0.9 | 0.85 (0.80–0.90) ❌ | 0.85 (0.80–0.90) ❌ |',
    );
    expect(markdown).toContain('## Rejected runs\n\nNone.');
  });

  it('leads with what each mode adds per request and keeps of the throughput, otel-http beside official', () => {
    const markdown = renderMarkdown(buildResult(meta(), runs(), ['express', 'koa'], MODES));
    const lead = markdown.indexOf('## What the telemetry costs');
    expect(lead).toBeGreaterThan(0);
    expect(lead).toBeLessThan(markdown.indexOf('## Measurements'));
    expect(markdown.indexOf('## Measurements')).toBeLessThan(markdown.indexOf('## Targets'));
    expect(markdown).toContain(
      '| Framework | bare: CPU per request | otel-http | official | otel-http, 10 % sampled | otel-http, metrics only | floor |',
    );
    // otel-http: 100 / 0.9 and 100 / 0.8 µs against 100 µs, 0.90 and 0.80 of the req/s.
    const added = ((100 / 0.9 - 100 + (100 / 0.8 - 100)) / 2).toFixed(1);
    expect(markdown).toContain(
      `| express 5.3.0 | 100.0 µs | +${added} µs, keeps 85 % | +${(100 / 0.7 - 100).toFixed(1)} µs, keeps 70 % |`,
    );
    expect(markdown).toMatch(/\| koa \| 100\.0 µs \| \+/);
  });

  it('judges the targets only on a full run without warnings', () => {
    const full = renderMarkdown(buildResult(meta(), runs(), ['express', 'koa'], MODES));
    expect(full).toContain('✅ the target is met, ❌ it is not.');
    expect(full).not.toContain('Not judged');

    const quick = renderMarkdown(
      buildResult(meta({ quick: true }), runs(), ['express', 'koa'], MODES),
    );
    expect(quick).toContain('**Not judged:** a quick run');
    expect(quick).toContain('| share of bare req/s otel-http keeps | ≥ 0.9 | 0.85 (0.80–0.90) |');

    const noisy = buildResult(meta(), runs(), ['express', 'koa'], MODES);
    noisy.meta.warnings.push('the machine was busy when the run started');
    const busy = renderMarkdown(noisy);
    expect(busy).toContain('**Not judged:** the run was noisy');
    for (const markdown of [quick, busy]) {
      const targets = markdown.slice(markdown.indexOf('## Targets'), markdown.indexOf('## Modes'));
      expect(targets).not.toMatch(/[✅❌]/u);
    }
  });

  it('puts warnings first and lists every rejected run with its reasons', () => {
    const all = runs();
    all.push(
      makeRun({
        framework: 'koa',
        mode: 'official',
        round: 1,
        attempt: 2,
        rejected: ['7 responses outside 2xx'],
      }),
    );
    const result = buildResult(
      meta({ loadAverage: { start: [3.5, 2, 1], end: [3, 2, 1] }, foreignCpu: undefined }),
      all,
      ['express', 'koa'],
      MODES,
    );
    result.meta.warnings.push(...collectWarnings(result));
    const markdown = renderMarkdown(result);
    expect(markdown.indexOf('**Warning:** the machine was busy')).toBeLessThan(
      markdown.indexOf('| Framework |'),
    );
    expect(markdown).toContain('1-minute load average 3.50');
    expect(markdown).toContain('- koa / official, round 2, attempt 2: 7 responses outside 2xx');
  });
});

describe('the Go reference rows', () => {
  const GO: Mode[] = ['bare', 'instrumented-metrics', 'instrumented', 'instrumented-10%'];
  const kept: Record<string, number> = {
    bare: 1,
    'instrumented-metrics': 0.9,
    instrumented: 0.6,
    'instrumented-10%': 0.8,
  };
  function withGo(goShare = 0.99): Run[] {
    const go = ['gin', 'echo'].flatMap((framework) =>
      [0, 1].flatMap((round) =>
        GO.map((mode) =>
          makeRun({
            framework: framework as 'gin' | 'echo',
            mode,
            round,
            requestsPerSecond: 40_000 * (kept[mode] as number),
            cpuPerRequestUs: 20 / (kept[mode] as number),
            serverCpuShare: mode === 'bare' ? goShare : 0.99,
            spans: {
              server: mode === 'instrumented' ? 10_000 : mode === 'bare' ? 0 : 1_000,
              other: 0,
            },
          }),
        ),
      ),
    );
    return [...runs(), ...go];
  }
  const modesOf = (framework: string) => (framework === 'gin' || framework === 'echo' ? GO : MODES);
  const goMeta = () =>
    meta({
      go: {
        version: 'go version go1.26.0 linux/amd64',
        modules: {
          'github.com/gin-gonic/gin': 'v1.12.0',
          'github.com/labstack/echo/v4': 'v4.16.5',
        },
      },
    });

  it('get a table of their own, ratios to their own bare, and no targets', () => {
    const result = buildResult(goMeta(), withGo(), ['express', 'koa', 'gin', 'echo'], modesOf);
    const markdown = renderMarkdown(result);
    const costs = markdown.slice(
      markdown.indexOf('## What the telemetry costs'),
      markdown.indexOf('## The Go reference'),
    );
    expect(costs).not.toMatch(/gin|echo/);
    expect(markdown).toContain(
      '| Framework | bare: CPU per request | instrumented | instrumented, 10 % sampled | instrumented, metrics only |',
    );
    expect(markdown).toContain(
      `| gin v1.12.0 | 20.0 µs | +${(20 / 0.6 - 20).toFixed(1)} µs, keeps 60 % | +5.0 µs, keeps 80 % |`,
    );
    expect(markdown).toMatch(/\| echo v4\.16\.5 \| 20\.0 µs \|/);
    expect(markdown).toContain('are not comparable');
    expect(markdown).toContain('Go rows built with go version go1.26.0 linux/amd64.');
    expect(markdown).toContain('| github.com/gin-gonic/gin | v1.12.0 |');
    expect(result.targets.some((t) => t.framework === 'gin' || t.framework === 'echo')).toBe(false);
    expect(markdown).not.toContain('did not keep the bare Go server busy');
    // The chart is the Node matrix's.
    expect(renderSvg(result)).not.toContain('>gin<');
  });

  it('say when the bare Go server was not kept busy, without making the Node targets noisy', () => {
    const result = buildResult(goMeta(), withGo(0.6), ['express', 'koa', 'gin', 'echo'], modesOf);
    result.meta.warnings.push(...collectWarnings(result));
    expect(result.meta.warnings).toEqual([]);
    expect(renderMarkdown(result)).toContain(
      'did not keep the bare Go server busy for gin (60 % of a core), echo (60 % of a core)',
    );
  });
});

describe('collectWarnings', () => {
  it('is quiet on a quiet machine with saturated servers', () => {
    expect(collectWarnings(buildResult(meta(), runs(), ['express', 'koa'], MODES))).toEqual([]);
  });

  it('lets the CPU measured while measuring overrule a load average left by an earlier run', () => {
    const lagging = meta({ loadAverage: { start: [1.84, 0.98, 0.47], end: [1.9, 1.2, 0.6] } });
    expect(collectWarnings(buildResult(lagging, runs(), ['express', 'koa'], MODES))).toEqual([]);
    const busy = meta({
      loadAverage: { start: [1.84, 0.98, 0.47], end: [1.9, 1.2, 0.6] },
      foreignCpu: { median: 0.3, min: 0.2, max: 0.5, n: 12 },
    });
    expect(collectWarnings(buildResult(busy, runs(), ['express', 'koa'], MODES))).toEqual([
      'other processes used 0.30 cores (median; up to 0.50) while measuring: the figures are perturbed.',
    ]);
  });

  it('flags busy machines, unpinned processes, idle servers and missing cells', () => {
    const all = runs()
      .map((run) =>
        run.mode === 'bare' && run.framework === 'koa' ? { ...run, serverCpuShare: 0.5 } : run,
      )
      .filter((run) => !(run.framework === 'express' && run.mode === 'floor'));
    const result = buildResult(
      meta({ pinning: undefined, foreignCpu: { median: 0.4, min: 0.1, max: 0.9, n: 10 } }),
      all,
      ['express', 'koa'],
      MODES,
    );
    const warnings = collectWarnings(result).join('\n');
    expect(warnings).toContain('other processes used 0.40 cores');
    expect(warnings).toContain('not pinned');
    expect(warnings).toContain('koa (50 % of a core)');
    expect(warnings).toContain('no accepted run for express/floor');
  });
});

describe('runOnlyWarnings', () => {
  it('keeps what only the run could tell and drops what the rules make again', () => {
    const rebuilt = rebuiltWarning('2026-12-05T01:00:00.000Z', '2026-12-05T01:20:00.000Z');
    expect(rebuilt).toBe(
      'the otel-http packages were rebuilt during the run (2026-12-05T01:00:00.000Z, then ' +
        '2026-12-05T01:20:00.000Z): not every round measured the same build.',
    );
    const stored = [
      'the machine was busy when the run started (1-minute load average 1.84 on 2 CPUs): the figures are indicative, not final.',
      rebuilt,
      'the server and the load generator were not pinned to separate CPUs.',
    ];
    expect(runOnlyWarnings(stored)).toEqual([rebuilt]);
  });
});

/** Tags opened but not closed, or closed but not open, in document order (a minimal XML check). */
function unbalancedTags(xml: string): string[] {
  const open: string[] = [];
  const problems: string[] = [];
  for (const [, closing, name, selfClosing] of xml.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!closing) open.push(name!);
    else if (open.pop() !== name) problems.push(`</${name}>`);
  }
  return [...problems, ...open.map((name) => `<${name}>`)];
}

describe('renderSvg', () => {
  const svg = renderSvg(buildResult(meta(), runs(), ['express', 'koa'], MODES));

  it('is one standalone SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg/g)).toHaveLength(1);
    expect(unbalancedTags(svg)).toEqual([]);
  });

  it('draws one bar per framework and compared mode in each panel, with its figures as tooltip', () => {
    const bars = svg.match(/<rect [^>]*><title>/g) ?? [];
    expect(bars).toHaveLength(2 * (MODES.length - 1) * 2);
    expect(svg).toContain('<title>express otel-http: 0.85 (0.80–0.90)</title>');
    expect(svg).toContain('Node v24.1.0');
    expect(svg).not.toMatch(/<title>\w+ bare:/);
  });

  it('draws a bar longer for a larger ratio', () => {
    const width = (label: string) =>
      Number(new RegExp(`width="([\\d.]+)"[^>]*><title>${label}`).exec(svg)?.[1]);
    expect(width('express official')).toBeLessThan(width('express otel-http'));
    expect(width('express otel-http')).toBeLessThan(width('express metrics'));
  });

  it('cuts an outlier at the edge of the axis but keeps its value in the label', () => {
    const outlier = runs().map((run) =>
      run.framework === 'express' && run.mode === 'floor' && run.round === 0
        ? { ...run, requestsPerSecond: 60_000 }
        : run,
    );
    const chart = renderSvg(buildResult(meta(), outlier, ['express', 'koa'], MODES));
    const width = (label: string) =>
      Number(new RegExp(`width="([\\d.]+)"[^>]*><title>${label}`).exec(chart)?.[1]);
    // The throughput panel is 320 wide: the outlier fills it, the others keep a readable length.
    expect(width('express floor')).toBeLessThanOrEqual(320);
    expect(width('express otel-http')).toBeGreaterThan(100);
    expect(chart).toContain('<title>express floor: 3.46 (0.92–6.00)</title>');
  });

  it('says when the figures are only indicative', () => {
    const busy = renderSvg(
      buildResult(meta({ warnings: ['the machine was busy'] }), runs(), ['express'], MODES),
    );
    expect(busy).toContain('Indicative only: one warning in the report');
  });
});

describe('escapeXml', () => {
  it('escapes markup characters', () => {
    expect(escapeXml('a < b & "c" > d')).toBe('a &lt; b &amp; &quot;c&quot; &gt; d');
  });
});

describe('niceTicks', () => {
  it.each([
    [0, 1.05, [0, 0.25, 0.5, 0.75, 1]],
    [0, 37, [0, 10, 20, 30]],
    [-4, 12, [0, 5, 10]],
    [-30, 5, [-30, -20, -10, 0]],
  ])('from %d to %d', (low, high, expected) => {
    expect(niceTicks(low, high)).toEqual(expected);
  });
});
