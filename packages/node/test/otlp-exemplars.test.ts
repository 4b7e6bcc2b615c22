// The OTLP metric exporter's encoding: the SDK's own, byte for byte, plus the exemplars of the
// RED producer's duration points. Decoded independently (test/support/otlp-decode.ts).
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createServerInstrumentation, RedMetricProducer } from '@otel-http/core';
import { describe, expect, it } from 'vitest';
import { addExemplars } from '../src/otlp-exemplars.js';
import { captureDiag } from './support/globals.js';
import { decodeMetrics } from './support/otlp-decode.js';

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function setup(sampled: boolean) {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const reader = new Reader({ metricProducers: [new RedMetricProducer({ exemplars: sampled })] });
  const meterProvider = new MeterProvider({ readers: [reader] });
  // An SDK instrument beside ours: its points pass through untouched.
  meterProvider.getMeter('app').createCounter('orders.placed').add(3, { shop: 'a' });
  const instrumentation = createServerInstrumentation({ meterProvider, tracerProvider });
  return { spans, reader, instrumentation };
}

async function serve(s: ReturnType<typeof setup>, delays: readonly number[]): Promise<void> {
  for (const [i, ms] of delays.entries()) {
    const handle = s.instrumentation.start({
      method: 'GET',
      scheme: 'http',
      path: `/items/${i}`,
      query: undefined,
      protocolVersion: '1.1',
      header: () => undefined,
    });
    handle?.setRoute('/items/:id');
    await new Promise((resolve) => setTimeout(resolve, ms));
    handle?.end({ statusCode: i === 2 ? 500 : 200 });
  }
}

const withoutExemplars = (metrics: ReturnType<typeof decodeMetrics>) =>
  metrics.map((m) => ({
    ...m,
    points: m.points.map(({ exemplars: _, ...point }) => point),
  }));

describe('OTLP metrics with exemplars', () => {
  it('without exemplars the bytes are the SDK encoding itself', async () => {
    const s = setup(false);
    await serve(s, [1, 30, 1]);
    const { resourceMetrics } = await s.reader.collect();
    const sdk = ProtobufMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array;
    expect(addExemplars(sdk, resourceMetrics)).toBe(sdk);
  });

  it('adds each duration point its exemplars, and changes nothing else', async () => {
    const s = setup(true);
    // Far from the bucket edges, so that a loaded machine does not move a request to the next.
    await serve(s, [30, 300, 30, 40]);
    const { resourceMetrics } = await s.reader.collect();
    const sdk = ProtobufMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array;
    const ours = addExemplars(sdk, resourceMetrics);
    expect(ours.length).toBeGreaterThan(sdk.length);
    const [before, after] = [decodeMetrics(sdk), decodeMetrics(ours)];
    expect(withoutExemplars(after)).toEqual(withoutExemplars(before));

    const duration = after.find((m) => m.name === 'http.server.request.duration');
    const ended = s.spans.getFinishedSpans();
    const ok = duration?.points.find((p) => p.attributes['http.response.status_code'] === 200);
    const failed = duration?.points.find((p) => p.attributes['http.response.status_code'] === 500);
    // 30 ms and 40 ms share a bucket (the later is kept); 300 ms has its own.
    expect(ok?.exemplars?.map((e) => e.spanId)).toEqual([
      ended[3]?.spanContext().spanId,
      ended[1]?.spanContext().spanId,
    ]);
    expect(failed?.exemplars?.map((e) => e.spanId)).toEqual([ended[2]?.spanContext().spanId]);
    for (const point of [ok, failed]) {
      for (const exemplar of point?.exemplars ?? []) {
        const span = ended.find((e) => e.spanContext().spanId === exemplar.spanId);
        expect(exemplar.traceId).toBe(span?.spanContext().traceId);
        expect(exemplar.filteredAttributes).toEqual({});
        // The same value the histogram counted: the bucket it names holds a request.
        const bounds = point?.explicitBounds ?? [];
        let bucket = bounds.findIndex((b) => exemplar.value <= b);
        if (bucket === -1) bucket = bounds.length;
        expect(point?.bucketCounts?.[bucket]).toBeGreaterThan(0);
        const endNanos =
          BigInt(span?.endTime[0] ?? 0) * 1_000_000_000n + BigInt(span?.endTime[1] ?? 0);
        const apart = Number(exemplar.timeUnixNano - endNanos) / 1e6;
        expect(Math.abs(apart)).toBeLessThan(50);
      }
    }
    // The other metrics carry none.
    for (const metric of after.filter((m) => m.name !== 'http.server.request.duration')) {
      for (const point of metric.points) expect(point.exemplars ?? []).toEqual([]);
    }
  });

  it('a collection that does not match the bytes is sent without exemplars, and says so', async () => {
    const s = setup(true);
    await serve(s, [1]);
    const { resourceMetrics } = await s.reader.collect();
    const sdk = ProtobufMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array;
    const scopes = resourceMetrics.scopeMetrics;
    const renamed = {
      ...resourceMetrics,
      scopeMetrics: scopes.map((scope) => ({
        ...scope,
        metrics: scope.metrics.map((m) => ({ ...m, descriptor: { ...m.descriptor, name: 'x' } })),
      })),
    };
    const diagnostics = captureDiag();
    diag.setLogger(diagnostics.logger, {
      logLevel: DiagLogLevel.WARN,
      suppressOverrideMessage: true,
    });
    try {
      expect(addExemplars(sdk, renamed)).toBe(sdk);
    } finally {
      diag.disable();
    }
    expect(diagnostics.matching('adding the exemplars failed')).toEqual([
      expect.stringContaining('metric "http.server.request.duration" where "x" was expected'),
    ]);
  });
});
