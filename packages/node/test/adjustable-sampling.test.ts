import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AggregationTemporality, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRatioText } from '../src/adjustable-sampler.js';
import { AdjustableRatioSampler, startTelemetry, type Telemetry } from '../src/index.js';
import { captureDiag, resetGlobals } from './support/globals.js';
import { startInstrumentedServer } from './support/loopback.js';

let telemetry: Telemetry | undefined;
let dir: string;
const savedEnv = { ...process.env };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ratio-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  for (const name of [
    'OTEL_TRACES_SAMPLER',
    'OTEL_TRACES_SAMPLER_ARG',
    'OTEL_HTTP_SAMPLER_RATIO_FILE',
  ]) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  resetGlobals();
});

/** Trace ids spread over the whole id space, as random ones are. */
function traceIds(count: number): string[] {
  const ids: string[] = [];
  let state = 0x2545f491;
  for (let i = 0; i < count; i++) {
    let id = '';
    for (let part = 0; part < 4; part++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      id += state.toString(16).padStart(8, '0');
    }
    ids.push(id);
  }
  return ids;
}

const decisions = (
  sampler: { shouldSample: TraceIdRatioBasedSampler['shouldSample'] },
  ids: string[],
) => ids.map((id) => sampler.shouldSample(ROOT_CONTEXT, id).decision);

class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function ratioGauge(reader: PullReader): Promise<unknown> {
  const { resourceMetrics } = await reader.collect();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === 'otel_http.sampler.ratio') {
        return { unit: metric.descriptor.unit, values: metric.dataPoints.map((p) => p.value) };
      }
    }
  }
  return undefined;
}

describe('AdjustableRatioSampler', () => {
  const ids = traceIds(2000);

  it.each([0, 0.01, 0.1, 0.5, 1])('decides as the SDK ratio sampler at %s', (ratio) => {
    const ours = decisions(new AdjustableRatioSampler(ratio), ids);
    expect(ours).toEqual(decisions(new TraceIdRatioBasedSampler(ratio), ids));
    const sampled = ours.filter((d) => d === SamplingDecision.RECORD_AND_SAMPLED).length;
    expect(Math.abs(sampled / ids.length - ratio)).toBeLessThan(0.03);
  });

  it('applies a new ratio from the next decision, and refuses one outside 0–1', () => {
    const sampler = new AdjustableRatioSampler(0);
    expect(new Set(decisions(sampler, ids))).toEqual(new Set([SamplingDecision.NOT_RECORD]));
    sampler.setRatio(1);
    expect(sampler.ratio).toBe(1);
    expect(new Set(decisions(sampler, ids))).toEqual(
      new Set([SamplingDecision.RECORD_AND_SAMPLED]),
    );
    for (const bad of [-0.1, 1.5, Number.NaN, '0.5' as unknown as number]) {
      expect(() => sampler.setRatio(bad)).toThrow(RangeError);
    }
    expect(() => new AdjustableRatioSampler(2)).toThrow(RangeError);
    expect(sampler.ratio).toBe(1);
    expect(String(sampler)).toBe('AdjustableTraceIdRatioBased{1}');
  });
});

describe('ratio text', () => {
  it.each([
    ['0.25', 0.25],
    [' 1\n', 1],
    ['.5', 0.5],
    ['0', 0],
    ['1.', 1],
  ])('reads %j as %s', (text, ratio) => {
    expect(parseRatioText(text)).toEqual({ ratio });
  });

  it.each(['', '  \n', '10%', '1e-2', '-0.1', '1.5', 'NaN', '0x1', '0.5 0.6', '0'.repeat(65)])(
    'refuses %j with a reason',
    (text) => {
      const parsed = parseRatioText(text);
      expect(parsed).toHaveProperty('problem');
      expect((parsed as { problem: string }).problem.length).toBeGreaterThan(0);
    },
  );
});

describe('telemetry.sampling', () => {
  /** Whether a new root span is recorded, and a span continuing an unsampled caller. */
  function recording(): { root: boolean; unsampledParent: boolean } {
    const tracer = trace.getTracer('sampling');
    const remote = propagation.extract(context.active(), {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
    });
    // Several roots, so that a ratio of 1 or 0 shows whatever trace id comes up.
    const roots = Array.from({ length: 20 }, () => tracer.startSpan('root'));
    const continued = tracer.startSpan('continued', {}, remote);
    const result = {
      root: roots.every((span) => span.isRecording()),
      unsampledParent: continued.isRecording(),
    };
    for (const span of [...roots, continued]) span.end();
    if (!result.root && roots.some((span) => span.isRecording())) throw new Error('mixed roots');
    return result;
  }

  it('changes the ratio of new traces at run time; continued traces still follow the caller', async () => {
    const reader = new PullReader();
    const diagnostics = captureDiag();
    telemetry = startTelemetry({
      traces: new InMemorySpanExporter(),
      metrics: reader,
      samplingRatio: 0,
      diagLogger: diagnostics.logger,
      logLevel: 'info',
    });
    expect(telemetry.sampling.adjustable).toBe(true);
    expect(telemetry.sampling.ratio).toBe(0);
    expect(recording()).toEqual({ root: false, unsampledParent: false });
    expect(await ratioGauge(reader)).toEqual({ unit: '1', values: [0] });

    expect(telemetry.sampling.setRatio(1)).toBe(true);
    expect(recording()).toEqual({ root: true, unsampledParent: false });
    expect(await ratioGauge(reader)).toEqual({ unit: '1', values: [1] });
    expect(diagnostics.matching('sampling ratio changed from 0 to 1')).toHaveLength(1);

    for (const bad of [Number.NaN, -1, 2, Number.POSITIVE_INFINITY]) {
      expect(telemetry.sampling.setRatio(bad)).toBe(false);
    }
    expect(telemetry.sampling.ratio).toBe(1);
    expect(diagnostics.matching('sampling ratio refused, keeping 1')).toHaveLength(4);
  });

  it('OTEL_TRACES_SAMPLER=traceidratio is adjustable too (and ignores the caller)', () => {
    process.env.OTEL_TRACES_SAMPLER = 'traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '1';
    telemetry = startTelemetry({
      traces: new InMemorySpanExporter(),
      metrics: 'none',
      logLevel: 'none',
    });
    expect(telemetry.sampling.ratio).toBe(1);
    expect(recording()).toEqual({ root: true, unsampledParent: true });
    telemetry.sampling.setRatio(0);
    expect(recording()).toEqual({ root: false, unsampledParent: false });
  });

  it('a fixed sampler is not adjustable: changes are refused with the reason, and no gauge', async () => {
    const reader = new PullReader();
    const diagnostics = captureDiag();
    telemetry = startTelemetry({
      traces: new InMemorySpanExporter(),
      metrics: reader,
      diagLogger: diagnostics.logger,
      logLevel: 'warn',
    });
    expect(telemetry.sampling).toMatchObject({ adjustable: false, ratio: undefined });
    expect(telemetry.sampling.setRatio(0.5)).toBe(false);
    expect(telemetry.sampling.reload()).toBe(false);
    expect(diagnostics.matching('the sampler is not a ratio sampler')).toHaveLength(2);
    expect(recording().root).toBe(true);
    expect(await ratioGauge(reader)).toBeUndefined();
  });

  it('disabled telemetry has a sampling control that refuses changes', () => {
    telemetry = startTelemetry({ disabled: true });
    expect(telemetry.sampling.adjustable).toBe(false);
    expect(telemetry.sampling.setRatio(1)).toBe(false);
  });
});

describe('the sampling ratio file', () => {
  it('is read at start and on reload(); a bad file keeps the ratio in effect', async () => {
    const file = join(dir, 'ratio-a');
    await writeFile(file, '0\n');
    const diagnostics = captureDiag();
    telemetry = startTelemetry({
      traces: new InMemorySpanExporter(),
      metrics: 'none',
      samplingRatio: 1,
      samplingRatioFile: file,
      diagLogger: diagnostics.logger,
      logLevel: 'info',
    });
    expect(telemetry.sampling.ratio).toBe(0);
    expect(
      diagnostics.matching(`sampling ratio changed from 1 to 0 (read from ${file})`),
    ).toHaveLength(1);

    await writeFile(file, '0.25');
    expect(telemetry.sampling.reload()).toBe(true);
    expect(telemetry.sampling.ratio).toBe(0.25);

    for (const bad of ['10%', '', '2', 'x'.repeat(10_000)]) {
      await writeFile(file, bad);
      expect(telemetry.sampling.reload()).toBe(false);
      expect(telemetry.sampling.ratio).toBe(0.25);
    }
    expect(diagnostics.matching(`sampling ratio file ${file} ignored, keeping 0.25`)).toHaveLength(
      4,
    );

    await rm(file);
    expect(telemetry.sampling.reload()).toBe(false);
    expect(diagnostics.matching('cannot be opened')).toHaveLength(1);
    expect(telemetry.sampling.ratio).toBe(0.25);
  });

  it('named by OTEL_HTTP_SAMPLER_RATIO_FILE, makes the default sampler an adjustable parent-based one', async () => {
    const file = join(dir, 'ratio-b');
    await writeFile(file, '0');
    process.env.OTEL_HTTP_SAMPLER_RATIO_FILE = file;
    telemetry = startTelemetry({
      traces: new InMemorySpanExporter(),
      metrics: 'none',
      logLevel: 'none',
    });
    expect(telemetry.sampling).toMatchObject({ adjustable: true, ratio: 0 });
    const tracer = trace.getTracer('sampling');
    const sampledParent = propagation.extract(context.active(), {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(tracer.startSpan('continued', {}, sampledParent).isRecording()).toBe(true);
  });

  it('missing at start keeps the configured ratio and says so', () => {
    const diagnostics = captureDiag();
    telemetry = startTelemetry({
      traces: new InMemorySpanExporter(),
      metrics: 'none',
      samplingRatio: 0.5,
      samplingRatioFile: join(dir, 'absent'),
      diagLogger: diagnostics.logger,
      logLevel: 'warn',
    });
    expect(telemetry.sampling.ratio).toBe(0.5);
    expect(diagnostics.matching('ignored, keeping 0.5: it cannot be opened')).toHaveLength(1);
  });

  it('is ignored, with a warning, beside a sampler that is not a ratio one', () => {
    const diagnostics = captureDiag();
    process.env.OTEL_TRACES_SAMPLER = 'always_on';
    telemetry = startTelemetry({
      traces: new InMemorySpanExporter(),
      metrics: 'none',
      samplingRatioFile: join(dir, 'ratio-c'),
      diagLogger: diagnostics.logger,
      logLevel: 'warn',
    });
    expect(telemetry.sampling.adjustable).toBe(false);
    expect(diagnostics.matching('always_on is not an adjustable ratio sampler')).toHaveLength(1);
  });

  it('is refused when the option is not a path', () => {
    expect(() => startTelemetry({ samplingRatioFile: ' ' })).toThrow(/samplingRatioFile/);
    expect(() => startTelemetry({ samplingRatioFile: 3 as unknown as string })).toThrow(
      /samplingRatioFile/,
    );
  });
});

/** Sends `total` GET requests, `concurrency` at a time; `between(sent)` may run between sends. */
async function load(
  url: string,
  total: number,
  concurrency: number,
  onSend: (index: number) => void,
): Promise<Array<{ index: number; status: number; recorded: boolean }>> {
  const results: Array<{ index: number; status: number; recorded: boolean }> = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      onSend(index);
      results.push(
        await new Promise((resolve, reject) => {
          const req = request(`${url}/items/${index}`, { agent: false }, (res) => {
            res.resume();
            res.on('end', () =>
              resolve({
                index,
                status: res.statusCode ?? 0,
                recorded: res.headers['x-recorded'] === 'true',
              }),
            );
          });
          req.on('error', reject);
          req.end();
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

describe('raising the ratio under load', () => {
  it('from 1 % to 100 % while 2000 requests run 20 at a time: none fails, all after the change are recorded', async () => {
    const exporter = new InMemorySpanExporter();
    telemetry = startTelemetry({
      traces: exporter,
      metrics: 'none',
      samplingRatio: 0.01,
      exportQueue: { scheduledDelayMillis: 50, maxQueueSize: 4096 },
      logLevel: 'none',
    });
    const server = await startInstrumentedServer((_req, res, handle) => {
      res.setHeader('x-recorded', String(handle?.span.isRecording() ?? false));
      res.end('ok');
    });
    try {
      let changedAt = -1;
      const results = await load(server.url, 2000, 20, (index) => {
        if (index === 1000) {
          expect(telemetry?.sampling.setRatio(1)).toBe(true);
          changedAt = index;
        }
      });
      expect(results).toHaveLength(2000);
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      // Requests sent once the ratio was raised are all recorded.
      const after = results.filter((r) => r.index >= changedAt);
      expect(after.every((r) => r.recorded)).toBe(true);
      // Before it, about 1 % of 1000 (the first 980 had surely finished deciding before).
      const before = results.filter((r) => r.index < changedAt - 20);
      const recordedBefore = before.filter((r) => r.recorded).length;
      expect(recordedBefore).toBeLessThan(50);
      await telemetry?.forceFlush();
      const exported = exporter.getFinishedSpans().filter((span) => span.kind === 1);
      expect(exported.length).toBe(results.filter((r) => r.recorded).length);
    } finally {
      await server.close();
    }
  }, 60_000);
});
