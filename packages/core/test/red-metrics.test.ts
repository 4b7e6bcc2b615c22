import { type Attributes, DiagLogLevel, diag, metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  AggregationType,
  type CollectionResult,
  MeterProvider,
  MetricReader,
  type MetricReaderOptions,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type Sampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createServerInstrumentation,
  type OtelHttpOptions,
  type RedExemplar,
  RedMetricProducer,
  type RequestInfo,
  type RequestOutcome,
} from '../src/index.js';
import { SeriesKeys } from '../src/red-metrics.js';

class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface Side {
  readonly provider: MeterProvider;
  readonly readers: Reader[];
  readonly instrumentation: ReturnType<typeof createServerInstrumentation>;
}

/** A meter provider with `count` readers, each with the producer when `producer` is set. */
function side(
  producer: boolean,
  options: MetricReaderOptions = {},
  count = 1,
  otel: OtelHttpOptions = {},
): Side {
  const readers = Array.from(
    { length: count },
    () =>
      new Reader({
        ...options,
        ...(producer ? { metricProducers: [new RedMetricProducer()] } : {}),
      }),
  );
  const provider = new MeterProvider({ readers });
  return {
    provider,
    readers,
    instrumentation: createServerInstrumentation({
      meterProvider: provider,
      metrics: { requestBodySize: true, responseBodySize: true },
      ...otel,
    }),
  };
}

function info(method: string, headers: Record<string, string> = {}): RequestInfo {
  return {
    method,
    scheme: 'http',
    path: '/x',
    query: undefined,
    protocolVersion: '1.1',
    header: (name) => headers[name],
  };
}

interface Request {
  readonly info: RequestInfo;
  readonly route?: string;
  readonly ms: number;
  readonly outcome: RequestOutcome;
}

/** Runs the same requests, at the same (fake) times, through both sides. */
function serve(sides: readonly Side[], requests: readonly Request[]): void {
  for (const request of requests) {
    const handles = sides.map((s) => s.instrumentation.start(request.info));
    if (request.route) for (const h of handles) h?.setRoute(request.route);
    vi.advanceTimersByTime(request.ms);
    for (const h of handles) h?.end(request.outcome);
  }
}

/** What each reader collects; the scope metrics only (the resource is the provider's). */
async function collect(s: Side): Promise<CollectionResult['resourceMetrics']['scopeMetrics'][]> {
  const results = [];
  for (const reader of s.readers) {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    results.push(resourceMetrics.scopeMetrics);
  }
  return results;
}

const traffic = (n: number): Request[] =>
  Array.from({ length: n }, (_, i) => ({
    info: info(i % 5 === 0 ? 'POST' : 'GET', { 'content-length': String(i * 37) }),
    route: i % 7 === 0 ? undefined : `/items/${i % 3}`,
    ms: (i * 13) % 1200,
    outcome:
      i % 11 === 0
        ? { error: new TypeError('boom'), statusCode: 500 }
        : i % 13 === 0
          ? { aborted: true }
          : { statusCode: i % 4 === 0 ? 404 : 200, responseBodySize: (i * 101) % 20000 },
  }));

describe('RedMetricProducer: the same output as the API instruments', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'], now: 1_700_000_000_123 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('cumulative: every series, bucket, min, max, sum and start time, over several collections', async () => {
    const api = side(false);
    const red = side(true);
    for (let round = 0; round < 3; round++) {
      serve([api, red], traffic(40 + round * 7));
      vi.advanceTimersByTime(1000);
      const [expected, actual] = [await collect(api), await collect(red)];
      expect(actual).toEqual(expected);
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    }
    const scope = (await collect(red))[0]?.[0];
    expect(scope?.metrics.map((m) => m.descriptor.name)).toEqual([
      'http.server.request.duration',
      'http.server.active_requests',
      'http.server.request.body.size',
      'http.server.response.body.size',
    ]);
  });

  it('delta: per interval, with start times calibrated to the last collection', async () => {
    const options = { aggregationTemporalitySelector: deltaHistograms };
    const api = side(false, options);
    const red = side(true, options);
    for (let round = 0; round < 4; round++) {
      // Round 2 records nothing: the delta reader reports no histogram then.
      if (round !== 2) serve([api, red], traffic(20 + round));
      vi.advanceTimersByTime(500);
      const [expected, actual] = [await collect(api), await collect(red)];
      expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    }
  });

  it('two readers, one cumulative and one delta, collected at different times', async () => {
    const make = (producer: boolean) => {
      const cumulative = new Reader(producer ? { metricProducers: [new RedMetricProducer()] } : {});
      const delta = new Reader({
        aggregationTemporalitySelector: deltaHistograms,
        ...(producer ? { metricProducers: [new RedMetricProducer()] } : {}),
      });
      const provider = new MeterProvider({ readers: [cumulative, delta] });
      return {
        provider,
        readers: [cumulative, delta],
        instrumentation: createServerInstrumentation({ meterProvider: provider }),
      };
    };
    const api = make(false);
    const red = make(true);
    for (let round = 0; round < 3; round++) {
      serve([api, red], traffic(15));
      vi.advanceTimersByTime(300);
      const which = round % 2;
      const [e1, a1] = [await api.readers[which]?.collect(), await red.readers[which]?.collect()];
      expect(JSON.stringify(a1?.resourceMetrics.scopeMetrics)).toBe(
        JSON.stringify(e1?.resourceMetrics.scopeMetrics),
      );
    }
    const [expected, actual] = [await collect(api), await collect(red)];
    expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
  });

  it('the cardinality limit: the same overflow series as the SDK, per collection interval', async () => {
    const options = { cardinalitySelector: () => 5 };
    const api = side(false, options);
    const red = side(true, options);
    const many = (from: number): Request[] =>
      Array.from({ length: 12 }, (_, i) => ({
        info: info('GET'),
        route: `/r/${from + i}`,
        ms: 3 * i,
        outcome: { statusCode: 200 },
      }));
    serve([api, red], many(0));
    vi.advanceTimersByTime(10);
    expect(JSON.stringify(await collect(red))).toBe(JSON.stringify(await collect(api)));
    serve([api, red], many(2));
    vi.advanceTimersByTime(10);
    const [expected, actual] = [await collect(api), await collect(red)];
    expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    const overflow = actual[0]?.[0]?.metrics[0]?.dataPoints.filter(
      (p) => (p.attributes as Attributes)['otel.metric.overflow'] === true,
    );
    expect(overflow).toHaveLength(1);
  });

  it('a request still in flight at collection, and synthetic user agents', async () => {
    const otel: OtelHttpOptions = { syntheticType: true };
    const api = side(false, {}, 1, otel);
    const red = side(true, {}, 1, otel);
    const open = [api, red].map((s) => s.instrumentation.start(info('GET')));
    serve(
      [api, red],
      [
        {
          info: info('GET', { 'user-agent': 'Googlebot/2.1' }),
          route: '/a',
          ms: 5,
          outcome: { statusCode: 200 },
        },
        {
          info: info('GET', { 'user-agent': 'curl/8' }),
          route: '/a',
          ms: 5,
          outcome: { statusCode: 200 },
        },
      ],
    );
    expect(JSON.stringify(await collect(red))).toBe(JSON.stringify(await collect(api)));
    for (const h of open) h?.end({ statusCode: 204 });
    expect(JSON.stringify(await collect(red))).toBe(JSON.stringify(await collect(api)));
  });
});

const deltaHistograms: MetricReaderOptions['aggregationTemporalitySelector'] = (type) =>
  type === 'HISTOGRAM' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;

describe('RedMetricProducer: where it steps aside', () => {
  it('without a producer on every reader, the API path records and the producer reports nothing', async () => {
    const warnings: string[] = [];
    diag.setLogger(
      {
        error() {},
        warn: (...args) => warnings.push(args.join(' ')),
        info() {},
        debug() {},
        verbose() {},
      },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    const producer = new RedMetricProducer();
    const readers = [new Reader({ metricProducers: [producer] }), new Reader()];
    const provider = new MeterProvider({ readers });
    const instrumentation = createServerInstrumentation({ meterProvider: provider });
    instrumentation.start(info('GET'))?.end({ statusCode: 200 });
    for (const reader of readers) {
      const { resourceMetrics } = await reader.collect();
      const names = resourceMetrics.scopeMetrics.flatMap((s) =>
        s.metrics.map((m) => m.descriptor.name),
      );
      expect(names.filter((n) => n === 'http.server.request.duration')).toHaveLength(1);
    }
    diag.disable();
    expect(warnings.some((m) => m.includes('every reader'))).toBe(true);
  });

  it('with a view or another histogram aggregation, the API path applies them', async () => {
    for (const make of [
      () =>
        new MeterProvider({
          readers: [new Reader({ metricProducers: [new RedMetricProducer()] })],
          views: [
            {
              instrumentName: 'http.server.request.duration',
              aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
            },
          ],
        }),
      () =>
        new MeterProvider({
          readers: [
            new Reader({
              metricProducers: [new RedMetricProducer()],
              aggregationSelector: () => ({ type: AggregationType.EXPONENTIAL_HISTOGRAM }),
            }),
          ],
        }),
    ]) {
      const provider = make();
      createServerInstrumentation({ meterProvider: provider })
        .start(info('GET'))
        ?.end({ statusCode: 200 });
      const { resourceMetrics } = await (
        provider as unknown as {
          _sharedState: { metricCollectors: Array<{ _metricReader: Reader }> };
        }
      )._sharedState.metricCollectors[0]!._metricReader.collect();
      const duration = resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .filter((m) => m.descriptor.name === 'http.server.request.duration');
      expect(duration).toHaveLength(1);
      expect(duration[0]?.dataPointType).toBe(1); // exponential, as asked
    }
  });

  it('the global meter provider is used the same way', async () => {
    const reader = new Reader({ metricProducers: [new RedMetricProducer()] });
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    try {
      createServerInstrumentation().start(info('GET'))?.end({ statusCode: 200 });
      const { resourceMetrics } = await reader.collect();
      expect(resourceMetrics.scopeMetrics).toHaveLength(1);
      expect(resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints[0]?.value).toMatchObject({
        count: 1,
      });
    } finally {
      metrics.disable();
    }
  });
});

describe('RedMetricProducer: exemplars on the duration, from sampled spans', () => {
  interface Traced {
    readonly reader: Reader;
    readonly spans: InMemorySpanExporter;
    readonly instrumentation: ReturnType<typeof createServerInstrumentation>;
  }

  function traced(
    sampler: Sampler,
    readerOptions: MetricReaderOptions = {},
    producer = new RedMetricProducer(),
  ): Traced {
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      sampler,
      spanProcessors: [new SimpleSpanProcessor(spans)],
    });
    const reader = new Reader({ ...readerOptions, metricProducers: [producer] });
    const meterProvider = new MeterProvider({ readers: [reader] });
    return {
      reader,
      spans,
      instrumentation: createServerInstrumentation({ meterProvider, tracerProvider }),
    };
  }

  function request(t: Traced, route: string, ms: number): void {
    const handle = t.instrumentation.start(info('GET'));
    handle?.setRoute(route);
    vi.advanceTimersByTime(ms);
    handle?.end({ statusCode: 200 });
  }

  async function durationPoints(reader: Reader) {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'http.server.request.duration');
    return (metric?.dataPoints ?? []) as Array<{
      attributes: Attributes;
      value: { buckets: { boundaries: number[]; counts: number[] } };
      exemplars?: RedExemplar[];
    }>;
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'], now: 1_700_000_000_123 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the last sampled request of each bucket, with its trace and span id', async () => {
    const t = traced(new AlwaysOnSampler());
    // 3 ms and 4 ms share the 0.005 s bucket (the later wins); 40 ms is in 0.05; 2 s in 2.5.
    for (const ms of [3, 4, 40, 2000]) request(t, '/a', ms);
    const [point] = await durationPoints(t.reader);
    const ended = t.spans.getFinishedSpans();
    expect(ended).toHaveLength(4);
    const exemplars = point?.exemplars ?? [];
    expect(exemplars.map((e) => e.value)).toEqual([0.004, 0.04, 2]);
    for (const [i, exemplar] of exemplars.entries()) {
      const span = ended[i + 1]?.spanContext();
      expect(exemplar.traceId).toBe(span?.traceId);
      expect(exemplar.spanId).toBe(span?.spanId);
      expect(exemplar.filteredAttributes).toEqual({});
      // Each exemplar is in the bucket it is counted in.
      const { boundaries, counts } = point?.value.buckets ?? { boundaries: [], counts: [] };
      const bucket = boundaries.findIndex((b) => exemplar.value <= b);
      expect(counts[bucket]).toBeGreaterThan(0);
    }
    // The time is the request's end on the wall clock: 3 + 4 + 40 + 2000 ms after the start.
    const at = (e: RedExemplar) => e.timestamp[0] * 1000 + e.timestamp[1] / 1e6;
    expect(at(exemplars[2] as RedExemplar)).toBe(1_700_000_000_123 + 2047);
  });

  it('cumulative: a bucket keeps its exemplar until a later one replaces it; delta: per interval', async () => {
    const cumulative = traced(new AlwaysOnSampler());
    const delta = traced(new AlwaysOnSampler(), {
      aggregationTemporalitySelector: deltaHistograms,
    });
    for (const t of [cumulative, delta]) request(t, '/a', 3);
    await durationPoints(cumulative.reader);
    await durationPoints(delta.reader);
    for (const t of [cumulative, delta]) request(t, '/a', 40);
    const [c] = await durationPoints(cumulative.reader);
    const [d] = await durationPoints(delta.reader);
    expect(c?.exemplars?.map((e) => e.value)).toEqual([0.003, 0.04]);
    expect(d?.exemplars?.map((e) => e.value)).toEqual([0.04]);
  });

  it('none for unsampled requests, none when switched off, and the points are the SDK shape without them', async () => {
    const unsampled = traced(new AlwaysOffSampler());
    const off = traced(new AlwaysOnSampler(), {}, new RedMetricProducer({ exemplars: false }));
    const on = traced(new AlwaysOnSampler());
    // The same requests at the same times on the three sides.
    for (const ms of [3, 40]) {
      const handles = [unsampled, off, on].map((t) => t.instrumentation.start(info('GET')));
      for (const h of handles) h?.setRoute('/a');
      vi.advanceTimersByTime(ms);
      for (const h of handles) h?.end({ statusCode: 200 });
    }
    const [u] = await durationPoints(unsampled.reader);
    const [o] = await durationPoints(off.reader);
    const [with_] = await durationPoints(on.reader);
    expect(u).not.toHaveProperty('exemplars');
    expect(o).not.toHaveProperty('exemplars');
    expect(with_?.exemplars).toHaveLength(2);
    // Everything but the exemplars is the same series.
    const { exemplars: _, ...rest } = with_ ?? {};
    expect(JSON.stringify(rest)).toBe(JSON.stringify(u));
  });

  it('the body-size histograms carry none', async () => {
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(spans)],
    });
    const reader = new Reader({ metricProducers: [new RedMetricProducer()] });
    const instrumentation = createServerInstrumentation({
      meterProvider: new MeterProvider({ readers: [reader] }),
      tracerProvider,
      metrics: { requestBodySize: true, responseBodySize: true },
    });
    const handle = instrumentation.start(info('POST', { 'content-length': '12' }));
    handle?.end({ statusCode: 200, responseBodySize: 30 });
    const { resourceMetrics } = await reader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const withExemplars = metrics
      .filter((m) => m.dataPoints.some((p) => 'exemplars' in p))
      .map((m) => m.descriptor.name);
    expect(withExemplars).toEqual(['http.server.request.duration']);
  });
});

describe('SeriesKeys: a series key per set of metric attribute values', () => {
  type Values = Parameters<SeriesKeys['keyOf']>;
  const distinct: Values[] = [
    ['GET http', 200, '/a', undefined, '1.1'],
    ['GET http', 200, '/a', undefined, '2'],
    ['GET http', 200, '/a', undefined, undefined],
    ['GET http', 200, '/a', 'TypeError', '1.1'],
    ['GET http', 200, '/a', '', '1.1'],
    ['GET http', 404, '/a', undefined, '1.1'],
    ['GET http', undefined, '/a', undefined, '1.1'],
    ['GET http', 200, undefined, undefined, '1.1'],
    ['GET http', 200, '', undefined, '1.1'],
    ['POST http', 200, '/a', undefined, '1.1'],
    ['GET https', 200, '/a', undefined, '1.1'],
    ['GET http bot', 200, '/a', undefined, '1.1'],
    // Values that would run together without the length prefixes.
    ['GET http', 200, '/a|1', undefined, '1.1'],
    ['GET http', 200, '/a', '1|x', '1.1'],
    ['GET http', 200, '/a|1:x', undefined, '1.1'],
  ];

  it('different values, different keys; the same values, the same key, kept or built', () => {
    const kept = new SeriesKeys(100);
    const built = new SeriesKeys(0);
    const keys = distinct.map((values) => kept.keyOf(...values));
    expect(new Set(keys).size).toBe(distinct.length);
    for (const [i, values] of distinct.entries()) {
      // Found again, with values that are equal strings but other objects.
      const again = values.map((v) => (typeof v === 'string' ? [...v].join('') : v)) as Values;
      expect(kept.keyOf(...again)).toBe(keys[i]);
      expect(built.keyOf(...values)).toBe(keys[i]);
    }
  });

  it('past its limit, a new key is built each time and still equals the kept one', () => {
    const keys = new SeriesKeys(3);
    const first = distinct.map((values) => keys.keyOf(...values));
    expect(distinct.map((values) => keys.keyOf(...values))).toEqual(first);
    expect(new Set(first).size).toBe(distinct.length);
  });
});
