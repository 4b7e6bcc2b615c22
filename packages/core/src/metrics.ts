import type { Attributes, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import type { RedMetrics } from './red-metrics.js';
import {
  DURATION_BUCKETS_MILLISECONDS,
  DURATION_BUCKETS_SECONDS,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_HTTP_SERVER_REQUEST_BODY_SIZE,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
  METRIC_HTTP_SERVER_RESPONSE_BODY_SIZE,
  OLD_METRIC_HTTP_SERVER_DURATION,
} from './semconv.js';
import type { ResolvedConfig } from './types.js';

/**
 * The RED instruments, created once per middleware; a disabled one is `undefined`. With `red`
 * (a `RedMetricProducer` on every reader) the histograms are recorded there instead, and there
 * are no API histograms.
 */
export interface ServerInstruments {
  readonly duration: Histogram | undefined;
  readonly oldDuration: Histogram | undefined;
  readonly activeRequests: ActiveRequestsRegistry | undefined;
  readonly requestBodySize: Histogram | undefined;
  readonly responseBodySize: Histogram | undefined;
  readonly red?: RedMetrics;
}

/** Where a request takes its place in `http.server.active_requests`. */
export interface ActiveRequestsRegistry {
  /** Counts one more request under `key` (the attribute set's identity); returns its counter. */
  enter(key: string, attributes: Attributes): ActiveCount;
}

/** The instruments of a middleware whose meter provider's readers all carry the producer. */
export function redInstruments(red: RedMetrics, config: ResolvedConfig): ServerInstruments {
  return {
    duration: undefined,
    oldDuration: undefined,
    activeRequests: config.metrics.activeRequests ? red.active : undefined,
    requestBodySize: undefined,
    responseBodySize: undefined,
    red,
  };
}

export function createInstruments(meter: Meter, config: ResolvedConfig): ServerInstruments {
  const { metrics } = config;
  return {
    duration: metrics.duration
      ? meter.createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
          description: 'Duration of HTTP server requests.',
          unit: 's',
          advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
        })
      : undefined,
    oldDuration:
      metrics.duration && config.emitOldSemconv
        ? meter.createHistogram(OLD_METRIC_HTTP_SERVER_DURATION, {
            description: 'Duration of HTTP server requests (old semantic conventions).',
            unit: 'ms',
            advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_MILLISECONDS] },
          })
        : undefined,
    activeRequests: metrics.activeRequests ? activeRequestsOf(meter) : undefined,
    requestBodySize: metrics.requestBodySize
      ? meter.createHistogram(METRIC_HTTP_SERVER_REQUEST_BODY_SIZE, {
          description: 'Size of HTTP server request bodies.',
          unit: 'By',
        })
      : undefined,
    responseBodySize: metrics.responseBodySize
      ? meter.createHistogram(METRIC_HTTP_SERVER_RESPONSE_BODY_SIZE, {
          description: 'Size of HTTP server response bodies.',
          unit: 'By',
        })
      : undefined,
  };
}

/** The in-flight count of one `{ method, scheme }` attribute set. */
export interface ActiveCount {
  value: number;
}

/** The in-flight counts of `http.server.active_requests`, by attribute set. */
export class ActiveCounts implements ActiveRequestsRegistry {
  /** By the attribute set's identity: its attributes and its count. */
  readonly entries = new Map<
    string,
    { readonly attributes: Attributes; readonly count: ActiveCount }
  >();

  /** Counts one more request under `key` (the attribute set's identity); returns its counter. */
  enter(key: string, attributes: Attributes): ActiveCount {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { attributes, count: { value: 0 } };
      this.entries.set(key, entry);
    }
    entry.count.value++;
    return entry.count;
  }
}

/**
 * `http.server.active_requests`, kept as plain counts and reported at collection time through an
 * asynchronous UpDownCounter. Exporters see the same non-monotonic sum a synchronous UpDownCounter
 * gives, but a request costs two integer updates instead of two SDK calls that each hash their
 * attributes. One registry per meter, shared by every middleware that uses the meter, so that
 * their requests add up in one series per attribute set.
 */
export class ActiveRequests extends ActiveCounts {
  constructor(meter: Meter) {
    super();
    meter
      .createObservableUpDownCounter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS, {
        description: 'Number of active HTTP server requests.',
        unit: '{request}',
      })
      .addCallback((result) => this.observe(result));
  }

  private observe(result: ObservableResult): void {
    // Zero counts are reported too, as a synchronous UpDownCounter keeps its series.
    for (const { attributes, count } of this.entries.values())
      result.observe(count.value, attributes);
  }
}

const activeRequestsByMeter = new WeakMap<Meter, ActiveRequests>();

function activeRequestsOf(meter: Meter): ActiveRequests {
  let active = activeRequestsByMeter.get(meter);
  if (active === undefined) {
    active = new ActiveRequests(meter);
    activeRequestsByMeter.set(meter, active);
  }
  return active;
}
