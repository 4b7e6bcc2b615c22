import { describe, expect, it } from 'vitest';
import type { Mode } from '../src/matrix.mjs';
import type { Run } from '../src/stats.mjs';
import { evaluateTargets } from '../src/targets.mjs';
import { makeRun } from './runs.js';

/** One round of one framework: req/s and CPU µs per request of each mode. */
function round(round: number, figures: Partial<Record<Mode, [number, number]>>): Run[] {
  return Object.entries(figures).map(([mode, [requestsPerSecond, cpuPerRequestUs]]) =>
    makeRun({ mode: mode as Mode, round, requestsPerSecond, cpuPerRequestUs }),
  );
}

const byId = (runs: Run[]) =>
  Object.fromEntries(evaluateTargets(runs, ['express']).map((t) => [t.id, t]));

describe('evaluateTargets', () => {
  it('compares metrics-only mode with the official instrumentation with its tracing off', () => {
    const targets = byId([
      ...round(0, { bare: [1000, 100], metrics: [900, 110], 'official-metrics': [600, 160] }),
      ...round(1, { bare: [1000, 100], metrics: [800, 120], 'official-metrics': [700, 140] }),
      ...round(2, { bare: [1000, 100], metrics: [850, 115], 'official-metrics': [500, 190] }),
    ]);
    // loss ÷ official-metrics' loss: 0.10/0.40, 0.20/0.30, 0.15/0.50 → median 0.30.
    const target = targets['metrics-loss-vs-official-metrics'];
    expect(target?.value?.median).toBeCloseTo(0.3);
    expect(target?.value?.max).toBeCloseTo(0.2 / 0.3);
    expect(target?.met).toBe(true);
    // Without the official row there is nothing to judge.
    const alone = byId(round(0, { bare: [1000, 100], metrics: [900, 110] }));
    expect(alone['metrics-loss-vs-official-metrics']?.met).toBeUndefined();
  });

  it('computes every target within the round, then takes the median over rounds', () => {
    const targets = byId([
      ...round(0, {
        bare: [1000, 100],
        metrics: [980, 102],
        'otel-http': [920, 110],
        'otel-http-10%': [900, 109],
        official: [700, 140],
        floor: [930, 108],
      }),
      ...round(1, {
        bare: [2000, 50],
        metrics: [1900, 52],
        'otel-http': [1800, 56],
        'otel-http-10%': [1700, 54],
        official: [1400, 70],
        floor: [1850, 55],
      }),
      ...round(2, {
        bare: [1000, 100],
        metrics: [990, 101],
        'otel-http': [950, 108],
        'otel-http-10%': [860, 104],
        official: [800, 130],
        floor: [960, 107],
      }),
    ]);
    // otel-http ÷ bare: 0.92, 0.90, 0.95.
    expect(targets.throughput).toMatchObject({
      met: true,
      value: { median: 0.92, min: 0.9, max: 0.95 },
    });
    // added CPU ÷ floor's added CPU: 10/8, 6/5, 8/7.
    expect(targets['cpu-vs-floor']?.value?.median).toBeCloseTo(1.2);
    expect(targets['cpu-vs-floor']?.met).toBe(false);
    // loss ÷ official's loss: 0.08/0.30, 0.10/0.30, 0.05/0.20.
    expect(targets['loss-vs-official']?.value?.median).toBeCloseTo(0.08 / 0.3);
    expect(targets['loss-vs-official']?.met).toBe(true);
    // metrics ÷ bare: 0.98, 0.95, 0.99.
    expect(targets.metrics).toMatchObject({ met: true, value: { median: 0.98 } });
    // From CPU per request: bare ÷ otel-http = 100/110, 50/56, 100/108 → median 100/110.
    expect(targets['throughput-cpu']?.value?.median).toBeCloseTo(100 / 110);
    expect(targets['throughput-cpu']?.met).toBe(true);
    // otel-http-10% ÷ bare: 0.90, 0.85, 0.86 → 0.86, below 0.88.
    expect(targets['sampled-10']).toMatchObject({ met: false, value: { median: 0.86 } });
    // otel-http ÷ floor, each ÷ bare: 0.92/0.93, 0.90/0.925, 0.95/0.96 → median 0.92/0.93.
    expect(targets['throughput-vs-floor']?.value?.median).toBeCloseTo(0.92 / 0.93);
    expect(targets['throughput-vs-floor']?.met).toBe(false);
    // bare ÷ metrics: 100/102, 50/52, 100/101 → median 0.980; above 0.95.
    expect(targets['metrics-cpu']?.value?.median).toBeCloseTo(100 / 102);
    // loss from CPU: (1 − 100/110) ÷ (1 − 100/140), …
    expect(targets['loss-vs-official-cpu']?.value?.min).toBeCloseTo(
      (1 - 100 / 110) / (1 - 100 / 140),
    );
  });

  it('leaves a target undecided when a side of it was not measured or lost nothing', () => {
    const targets = byId(
      round(0, {
        bare: [1000, 100],
        'otel-http': [950, 105],
        official: [1010, 120],
        floor: [990, 100],
      }),
    );
    expect(targets.throughput?.met).toBe(true);
    // Official lost no throughput; floor added no CPU; metrics not run.
    expect(targets['loss-vs-official']).toMatchObject({ value: undefined, met: undefined });
    expect(targets['cpu-vs-floor']).toMatchObject({ value: undefined, met: undefined });
    expect(targets.metrics).toMatchObject({ value: undefined, met: undefined });
  });

  it('ignores rejected runs', () => {
    const runs = round(0, { bare: [1000, 100], 'otel-http': [500, 200] });
    runs[1]!.rejected.push('12 connection errors or timeouts');
    expect(byId(runs).throughput?.met).toBeUndefined();
  });
});
