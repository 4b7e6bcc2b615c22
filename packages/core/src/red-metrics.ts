/**
 * The RED metrics kept by otel-http itself and handed to the SDK's readers at collection time, as
 * a `MetricProducer` (`metricProducers` of an SDK 2.x reader). The API path — a `Histogram` per
 * metric — costs every request one SDK `record` per metric, each hashing its attribute set (sorting
 * and serialising the keys). Here a request finds its series by one string key built from values
 * the request already has, and adds to preallocated bucket arrays.
 *
 * The output is the SDK's own, series for series: the same names, units, descriptions, advised
 * buckets, temporality per reader, start times, min and max, and the SDK's cardinality limit with
 * its overflow series. Where that cannot be promised — a view is registered, a reader selects
 * another aggregation, a reader lacks the producer, old semantic conventions are on — the API path
 * is used, as without the producer.
 *
 * Depends on the API only: the data it returns is shaped like `@opentelemetry/sdk-metrics`'s
 * `CollectionResult`, with that package's enum values written out.
 */
import type { Attributes, HrTime, MeterProvider } from '@opentelemetry/api';
import { logger } from './diag.js';
import { ActiveCounts } from './metrics.js';
import {
  DURATION_BUCKETS_SECONDS,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_HTTP_SERVER_REQUEST_BODY_SIZE,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  METRIC_HTTP_SERVER_RESPONSE_BODY_SIZE,
} from './semconv.js';
import { SCOPE_NAME, SCOPE_VERSION } from './version.js';

// The values of @opentelemetry/sdk-metrics' enums this module writes.
const DATA_POINT_HISTOGRAM = 0;
const DATA_POINT_SUM = 3;
const TEMPORALITY_DELTA = 0;
const TEMPORALITY_CUMULATIVE = 1;
const AGGREGATION_DEFAULT = 0;
const VALUE_TYPE_DOUBLE = 1;
const DEFAULT_CARDINALITY_LIMIT = 2000;
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });
/** The SDK's boundaries for a histogram without advice (the body sizes). */
const SDK_DEFAULT_BOUNDARIES = Object.freeze([
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
]);

/** The ids of the sampled span an exemplar links to. */
export interface SpanIds {
  readonly traceId: string;
  readonly spanId: string;
}

/** What makes a series' attribute set, asked only for a series new in the interval. */
export interface SeriesAttributes {
  seriesAttributes(): Attributes;
}

/**
 * An exemplar of a histogram data point: one measurement of the bucket it fell in, with the trace
 * and span it was recorded in — the OpenTelemetry data model's `Exemplar`. The RED producer keeps
 * the last sampled request's duration per bucket (the aligned-histogram-bucket reservoir).
 */
export interface RedExemplar {
  /** The measurement's attributes that the series leaves out: none, for the RED metrics. */
  readonly filteredAttributes: Attributes;
  readonly value: number;
  readonly timestamp: HrTime;
  readonly traceId: string;
  readonly spanId: string;
}

interface HistogramDescriptor {
  readonly name: string;
  readonly type: 'HISTOGRAM';
  readonly description: string;
  readonly unit: string;
  readonly valueType: number;
  readonly advice: { readonly explicitBucketBoundaries?: readonly number[] };
}

function histogramDescriptor(
  name: string,
  description: string,
  unit: string,
  boundaries?: readonly number[],
): HistogramDescriptor {
  return Object.freeze({
    name,
    type: 'HISTOGRAM',
    description,
    unit,
    valueType: VALUE_TYPE_DOUBLE,
    advice: boundaries ? { explicitBucketBoundaries: [...boundaries] } : {},
  });
}

// The descriptors `createInstruments` gives the API instruments, as the SDK keeps them.
const DURATION = histogramDescriptor(
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  'Duration of HTTP server requests.',
  's',
  DURATION_BUCKETS_SECONDS,
);
const REQUEST_BODY_SIZE = histogramDescriptor(
  METRIC_HTTP_SERVER_REQUEST_BODY_SIZE,
  'Size of HTTP server request bodies.',
  'By',
);
const RESPONSE_BODY_SIZE = histogramDescriptor(
  METRIC_HTTP_SERVER_RESPONSE_BODY_SIZE,
  'Size of HTTP server response bodies.',
  'By',
);
const ACTIVE_REQUESTS = Object.freeze({
  name: METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  type: 'OBSERVABLE_UP_DOWN_COUNTER',
  description: 'Number of active HTTP server requests.',
  unit: '{request}',
  valueType: VALUE_TYPE_DOUBLE,
  advice: {},
});

/**
 * One series' explicit-bucket histogram: the SDK's histogram accumulation, in plain fields. The
 * attribute set travels with it. Merged accumulations are new objects; like the SDK's, an
 * accumulation may be shared by the reports of several readers.
 */
class Accumulation {
  readonly attributes: Attributes;
  startTime: number;
  readonly counts: number[];
  count = 0;
  sum = 0;
  hasMinMax = false;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** The last exemplar per bucket, made at the first one. */
  exemplars: Array<RedExemplar | undefined> | undefined;

  constructor(attributes: Attributes, startTime: number, counts: number[]) {
    this.attributes = attributes;
    this.startTime = startTime;
    this.counts = counts;
  }

  record(value: number, boundaries: readonly number[], sampledSpan?: SpanIds, time?: number): void {
    // As the SDK: NaN is no measurement (the series exists all the same).
    if (Number.isNaN(value)) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.hasMinMax = true;
    // Upper-inclusive buckets: the first boundary that is not below the value.
    let lo = 0;
    let hi = boundaries.length - 1;
    let index = boundaries.length;
    while (hi >= lo) {
      const mid = lo + ((hi - lo) >> 1);
      if ((boundaries[mid] as number) < value) lo = mid + 1;
      else {
        index = mid;
        hi = mid - 1;
      }
    }
    this.counts[index] = (this.counts[index] as number) + 1;
    if (sampledSpan !== undefined) {
      this.exemplars ??= new Array(this.counts.length).fill(undefined);
      this.exemplars[index] = {
        filteredAttributes: NO_ATTRIBUTES,
        value,
        timestamp: hrTime(time ?? Date.now()),
        traceId: sampledSpan.traceId,
        spanId: sampledSpan.spanId,
      };
    }
  }

  /** The SDK's merge: a new accumulation, starting when `previous` did. */
  static merge(previous: Accumulation, delta: Accumulation): Accumulation {
    const counts = previous.counts.map((count, i) => count + (delta.counts[i] as number));
    const merged = new Accumulation(previous.attributes, previous.startTime, counts);
    merged.count = previous.count + delta.count;
    merged.sum = previous.sum + delta.sum;
    merged.hasMinMax = previous.hasMinMax || delta.hasMinMax;
    if (previous.hasMinMax && delta.hasMinMax) {
      merged.min = Math.min(previous.min, delta.min);
      merged.max = Math.max(previous.max, delta.max);
    } else if (previous.hasMinMax || delta.hasMinMax) {
      const source = previous.hasMinMax ? previous : delta;
      merged.min = source.min;
      merged.max = source.max;
    }
    // Per bucket the later exemplar, else the earlier one.
    if (previous.exemplars !== undefined || delta.exemplars !== undefined) {
      merged.exemplars = counts.map((_, i) => delta.exemplars?.[i] ?? previous.exemplars?.[i]);
    }
    return merged;
  }
}

type Accumulations = Map<string, Accumulation>;

/** Adds `current` into `last` (which it changes and returns), as the SDK's cumulative merge. */
function mergeInto(last: Accumulations, current: Accumulations): Accumulations {
  for (const [key, accumulation] of current) {
    const previous = last.get(key);
    last.set(
      key,
      previous === undefined ? accumulation : Accumulation.merge(previous, accumulation),
    );
  }
  return last;
}

/** What a reader was last given of one stream. */
interface Report {
  readonly accumulations: Accumulations;
  readonly collectionTime: number;
  readonly delta: boolean;
}

/**
 * One histogram metric, as the SDK keeps an instrument's storage: the accumulations recorded
 * since the last collection by any reader (within the cardinality limit, the rest in the overflow
 * series), handed at each collection to every reader's list of unreported ones; each reader then
 * merges its list into its last report (cumulative) or starts its points at its last collection
 * (delta).
 */
class HistogramStream {
  readonly descriptor: HistogramDescriptor;
  readonly boundaries: readonly number[];
  private readonly limit: number;
  private active: Accumulations = new Map();
  private readonly unreported = new Map<RedMetricProducer, Accumulations[]>();
  private readonly reports = new Map<RedMetricProducer, Report>();

  constructor(
    descriptor: HistogramDescriptor,
    limit: number,
    producers: readonly RedMetricProducer[],
  ) {
    this.descriptor = descriptor;
    this.boundaries = descriptor.advice.explicitBucketBoundaries ?? SDK_DEFAULT_BOUNDARIES;
    this.limit = limit - 1;
    for (const producer of producers) this.unreported.set(producer, []);
  }

  record(
    key: string,
    source: SeriesAttributes,
    value: number,
    sampledSpan?: SpanIds,
    time?: number,
  ): void {
    let accumulation = this.active.get(key);
    if (accumulation === undefined) {
      // The SDK starts a series at its first measurement of the interval.
      const time = Date.now();
      if (this.active.size >= this.limit) {
        accumulation = this.active.get(OVERFLOW_KEY);
        if (accumulation === undefined) {
          accumulation = this.accumulation(OVERFLOW_ATTRIBUTES, time);
          this.active.set(OVERFLOW_KEY, accumulation);
        }
      } else {
        accumulation = this.accumulation(source.seriesAttributes(), time);
        this.active.set(key, accumulation);
      }
    }
    accumulation.record(value, this.boundaries, sampledSpan, time);
  }

  private accumulation(attributes: Attributes, time: number): Accumulation {
    return new Accumulation(attributes, time, new Array(this.boundaries.length + 1).fill(0));
  }

  /** The metric for `producer`'s reader at `now`, or `undefined` when it has no points. */
  collect(producer: RedMetricProducer, delta: boolean, now: number, exemplars: boolean): unknown {
    const current = this.active;
    this.active = new Map();
    for (const list of this.unreported.values()) list.push(current);
    let result: Accumulations = new Map();
    for (const interval of this.unreported.get(producer) ?? [])
      result = mergeInto(result, interval);
    this.unreported.set(producer, []);
    const last = this.reports.get(producer);
    const isDelta = last?.delta ?? delta;
    if (last !== undefined) {
      if (!isDelta) result = mergeInto(last.accumulations, result);
      else {
        // A series the reader was given last time starts where that collection ended.
        for (const key of last.accumulations.keys()) {
          const accumulation = result.get(key);
          if (accumulation !== undefined) accumulation.startTime = last.collectionTime;
        }
      }
    }
    this.reports.set(producer, { accumulations: result, collectionTime: now, delta: isDelta });
    if (result.size === 0) return undefined;
    const endTime = hrTime(now);
    const dataPoints = [];
    for (const accumulation of result.values()) {
      const point: Record<string, unknown> = {
        attributes: accumulation.attributes,
        startTime: hrTime(accumulation.startTime),
        endTime,
        value: {
          min: accumulation.hasMinMax ? accumulation.min : undefined,
          max: accumulation.hasMinMax ? accumulation.max : undefined,
          sum: accumulation.sum,
          buckets: { boundaries: this.boundaries, counts: [...accumulation.counts] },
          count: accumulation.count,
        },
      };
      // Only a point with exemplars carries the field: without them a point is the SDK's own.
      if (exemplars && accumulation.exemplars !== undefined) {
        const list = accumulation.exemplars.filter((e) => e !== undefined);
        if (list.length > 0) point.exemplars = list;
      }
      dataPoints.push(point);
    }
    return {
      descriptor: this.descriptor,
      aggregationTemporality: isDelta ? TEMPORALITY_DELTA : TEMPORALITY_CUMULATIVE,
      dataPointType: DATA_POINT_HISTOGRAM,
      dataPoints,
    };
  }
}

const OVERFLOW_KEY = '\u0000overflow';
const NO_ATTRIBUTES: Attributes = Object.freeze({});

/** One series key beside the others of its route, `{ method, scheme }` and status. */
interface KeyEntry {
  readonly failure: string | undefined;
  readonly protocolVersion: string | undefined;
  readonly key: string;
}

/**
 * The series key of a request's metric attributes: their values, the route and error type
 * length-prefixed, so that no two different series share a key.
 */
function seriesKey(
  baseKey: string,
  status: number | undefined,
  route: string | undefined,
  failure: string | undefined,
  protocolVersion: string | undefined,
): string {
  return `${baseKey}|${status ?? ''}|${route === undefined ? '' : `${route.length}:${route}`}|${failure === undefined ? '' : `${failure.length}:${failure}`}|${protocolVersion === undefined ? '' : `v${protocolVersion}`}`;
}

/**
 * The series keys requests recorded under, found again instead of built: building a key and
 * hashing the new string to look it up was over a third of what recording a request cost. Found
 * by route, then `{ method, scheme }`, then status (strings hashed once: a framework hands the
 * same route string to every request of a route); error type and protocol version are compared
 * among the few keys beside them. Past `limit` keys, a new one is built each time it is needed,
 * so routes or error types without bound cannot grow it without bound.
 */
export class SeriesKeys {
  private readonly byRoute = new Map<
    string | undefined,
    Map<string, Map<number | undefined, KeyEntry[]>>
  >();
  private size = 0;

  constructor(private readonly limit: number) {}

  keyOf(
    baseKey: string,
    status: number | undefined,
    route: string | undefined,
    failure: string | undefined,
    protocolVersion: string | undefined,
  ): string {
    let byBase = this.byRoute.get(route);
    let byStatus = byBase?.get(baseKey);
    const entries = byStatus?.get(status);
    if (entries !== undefined) {
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i] as KeyEntry;
        if (entry.failure === failure && entry.protocolVersion === protocolVersion) {
          return entry.key;
        }
      }
    }
    const key = seriesKey(baseKey, status, route, failure, protocolVersion);
    if (this.size >= this.limit) return key;
    this.size++;
    if (entries !== undefined) {
      entries.push({ failure, protocolVersion, key });
      return key;
    }
    if (byBase === undefined) {
      byBase = new Map();
      this.byRoute.set(route, byBase);
    }
    if (byStatus === undefined) {
      byStatus = new Map();
      byBase.set(baseKey, byStatus);
    }
    byStatus.set(status, [{ failure, protocolVersion, key }]);
    return key;
  }
}

/**
 * The RED metrics of one meter provider: what every middleware using that provider records, and
 * what its readers' producers report.
 */
export class RedMetrics {
  /** `http.server.active_requests`: in-flight counts by `{ method, scheme }`. */
  readonly active = new ActiveCounts();
  /** When each active-requests series was first observed: its start time. */
  private readonly activeSince = new Map<string, number>();
  /** The series keys of the requests recorded here. */
  readonly keys: SeriesKeys;
  private readonly streams: readonly HistogramStream[];
  private readonly delta: ReadonlyMap<RedMetricProducer, boolean>;

  constructor(
    producers: ReadonlyArray<{ producer: RedMetricProducer; delta: boolean }>,
    cardinalityLimit: number,
  ) {
    const all = producers.map((p) => p.producer);
    // A key per series the cardinality limit lets in, and as many again for the overflow's.
    this.keys = new SeriesKeys(2 * cardinalityLimit);
    this.streams = [DURATION, REQUEST_BODY_SIZE, RESPONSE_BODY_SIZE].map(
      (descriptor) => new HistogramStream(descriptor, cardinalityLimit, all),
    );
    this.delta = new Map(producers.map((p) => [p.producer, p.delta]));
    for (const producer of all) attached.set(producer, this);
  }

  /**
   * Records a finished request under `key` (its metric attributes' identity); `source` makes the
   * attributes, only for a series new in the interval. An `undefined` measurement leaves its
   * metric out. `sampledSpan` (a recorded, sampled span: the trace-based exemplar filter) and
   * `endTime` (epoch milliseconds) make the duration's exemplar.
   */
  record(
    key: string,
    source: SeriesAttributes,
    duration: number | undefined,
    requestBodySize: number | undefined,
    responseBodySize: number | undefined,
    sampledSpan?: SpanIds,
    endTime?: number,
  ): void {
    const [durations, requestSizes, responseSizes] = this.streams as [
      HistogramStream,
      HistogramStream,
      HistogramStream,
    ];
    if (duration !== undefined) durations.record(key, source, duration, sampledSpan, endTime);
    if (requestBodySize !== undefined) requestSizes.record(key, source, requestBodySize);
    if (responseBodySize !== undefined) responseSizes.record(key, source, responseBodySize);
  }

  /** The scope's metrics for `producer`'s reader, as the SDK would report them to it. */
  collect(producer: RedMetricProducer): unknown[] {
    const now = Date.now();
    const delta = this.delta.get(producer) ?? false;
    const metrics: unknown[] = [];
    for (const [i, stream] of this.streams.entries()) {
      // Exemplars belong to the duration (linking latency to traces); never to the body sizes.
      const metric = stream.collect(producer, delta, now, i === 0 && producer.exemplars);
      if (metric !== undefined) metrics.push(metric);
      // The SDK reports the instruments in the order they were made: duration, active requests,
      // then the body sizes.
      if (i === 0) {
        const active = this.activePoints(now);
        if (active !== undefined) metrics.push(active);
      }
    }
    return metrics;
  }

  /** Active requests, observed at every collection: each series starts at its first observation. */
  private activePoints(now: number): unknown {
    if (this.active.entries.size === 0) return undefined;
    const endTime = hrTime(now);
    const dataPoints = [];
    for (const [key, { attributes, count }] of this.active.entries) {
      let since = this.activeSince.get(key);
      if (since === undefined) {
        since = now;
        this.activeSince.set(key, since);
      }
      dataPoints.push({ attributes, startTime: hrTime(since), endTime, value: count.value });
    }
    return {
      descriptor: ACTIVE_REQUESTS,
      aggregationTemporality: TEMPORALITY_CUMULATIVE,
      dataPointType: DATA_POINT_SUM,
      dataPoints,
      isMonotonic: false,
    };
  }
}

/** The SDK's `millisToHrTime`. */
function hrTime(epochMillis: number): HrTime {
  const seconds = Math.trunc(epochMillis / 1000);
  const nanos = Math.round((epochMillis % 1000) * 1e6);
  return [seconds, nanos];
}

/** The RED metrics each producer reports: set when its provider's adapters start recording. */
const attached = new WeakMap<RedMetricProducer, RedMetrics>();
const EMPTY_RESOURCE = Object.freeze({ attributes: {} });

/** Options of a {@link RedMetricProducer}. */
export interface RedMetricProducerOptions {
  /**
   * Attach exemplars to `http.server.request.duration`: per bucket, the last sampled request's
   * duration with its trace and span id, so a latency bucket links to a trace. Default `true`.
   * Exporters that know exemplars carry them (the OpenMetrics output and OTLP exporter of
   * `@otel-http/node`); the SDK's own exporters leave them out.
   */
  exemplars?: boolean;
}

/**
 * The `MetricProducer` that hands otel-http's RED metrics to an SDK reader. Put one on every
 * reader of the meter provider the adapters use — `metricProducers: [new RedMetricProducer()]`;
 * `@otel-http/node` does. The adapters find it there at their first request and record into it
 * instead of the API instruments; the reader exports the same series it would get from them.
 * Without it, or where the producer cannot reproduce the SDK's output exactly (a view is
 * registered, a reader selects another aggregation, old semantic conventions are on), the API
 * path is used and the producer reports nothing.
 */
export class RedMetricProducer {
  /** Whether this reader's duration points carry exemplars. */
  readonly exemplars: boolean;

  constructor(options: RedMetricProducerOptions = {}) {
    this.exemplars = options.exemplars ?? true;
  }

  /** The SDK reader calls it at every collection. */
  // Typed loosely: the result is `@opentelemetry/sdk-metrics`' `CollectionResult` in shape, and
  // core does not depend on that package, whose reader types this must be assignable to.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  async collect(): Promise<{ resourceMetrics: any; errors: unknown[] }> {
    const metrics = attached.get(this)?.collect(this) ?? [];
    return {
      // The reader reports its provider's resource and only takes the scope metrics from here.
      resourceMetrics: {
        resource: EMPTY_RESOURCE,
        scopeMetrics:
          metrics.length === 0
            ? []
            : [
                {
                  scope: { name: SCOPE_NAME, version: SCOPE_VERSION, schemaUrl: undefined },
                  metrics,
                },
              ],
      },
      errors: [],
    };
  }
}

/**
 * Only a producer of this copy of core: one of another copy reports what that copy records, so
 * a reader with only such a producer is one without ours (the API path then applies).
 */
function isProducer(value: unknown): value is RedMetricProducer {
  return value instanceof RedMetricProducer;
}

const byProvider = new WeakMap<object, RedMetrics | null>();

/**
 * The RED metrics of `provider` when every one of its readers carries a {@link RedMetricProducer}
 * and nothing asks for output the producer cannot give; `undefined` for the API path. Decided once
 * per provider.
 */
export function redMetricsFor(provider: MeterProvider): RedMetrics | undefined {
  const known = byProvider.get(provider);
  if (known !== undefined) return known ?? undefined;
  let found: RedMetrics | undefined;
  try {
    found = inspect(provider);
  } catch (error) {
    logger.warn(
      'RedMetricProducer: reading the meter provider failed; using the API instruments',
      error,
    );
  }
  byProvider.set(provider, found ?? null);
  return found;
}

interface ReaderLike {
  _metricProducers?: unknown;
  selectAggregation?(type: string): { type?: unknown } | undefined;
  selectAggregationTemporality?(type: string): unknown;
  selectCardinalityLimit?(type: string): unknown;
}

/**
 * Reads the SDK 2.x meter provider's readers. Their fields are the SDK's own; any shape this
 * does not know leaves the API path in place.
 */
function inspect(provider: MeterProvider): RedMetrics | undefined {
  const state = (provider as { _sharedState?: unknown })._sharedState as
    | { metricCollectors?: unknown; viewRegistry?: { _registeredViews?: unknown } }
    | undefined;
  const collectors = state?.metricCollectors;
  if (!Array.isArray(collectors) || collectors.length === 0) return undefined;
  const readers = collectors.map(
    (collector) => (collector as { _metricReader?: ReaderLike })._metricReader,
  );
  const producersOf = readers.map((reader) =>
    Array.isArray(reader?._metricProducers) ? reader._metricProducers.filter(isProducer) : [],
  );
  if (producersOf.every((list) => list.length === 0)) return undefined;
  const refuse = (why: string) => {
    logger.warn(
      `RedMetricProducer: ${why}; the RED metrics are recorded through the API instruments, and the producer reports nothing`,
    );
    return undefined;
  };
  if (producersOf.some((list) => list.length !== 1)) {
    return refuse('every reader of the meter provider needs exactly one');
  }
  const views = state?.viewRegistry?._registeredViews;
  if (!Array.isArray(views) || views.length > 0) {
    return refuse('the meter provider has views, which apply to its own instruments only');
  }
  const limits = new Set<unknown>();
  const producers: Array<{ producer: RedMetricProducer; delta: boolean }> = [];
  for (const [i, reader] of readers.entries()) {
    const aggregation = reader?.selectAggregation?.('HISTOGRAM')?.type;
    if (aggregation !== AGGREGATION_DEFAULT) {
      return refuse('a reader selects another aggregation than the default for histograms');
    }
    const temporality = reader?.selectAggregationTemporality?.('HISTOGRAM');
    const activeTemporality = reader?.selectAggregationTemporality?.('OBSERVABLE_UP_DOWN_COUNTER');
    if (activeTemporality !== TEMPORALITY_CUMULATIVE) {
      return refuse('a reader asks for delta up-down counters');
    }
    if (temporality !== TEMPORALITY_CUMULATIVE && temporality !== TEMPORALITY_DELTA) {
      return refuse('a reader selects an unknown temporality');
    }
    limits.add(reader?.selectCardinalityLimit?.('HISTOGRAM') ?? DEFAULT_CARDINALITY_LIMIT);
    producers.push({
      producer: (producersOf[i] as RedMetricProducer[])[0] as RedMetricProducer,
      delta: temporality === TEMPORALITY_DELTA,
    });
  }
  const [limit] = [...limits];
  if (limits.size !== 1 || typeof limit !== 'number') {
    return refuse('the readers select different cardinality limits');
  }
  return new RedMetrics(producers, limit);
}
