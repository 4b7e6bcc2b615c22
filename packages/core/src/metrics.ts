import type { Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
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

/** The RED instruments, created once per middleware; a disabled one is `undefined`. */
export interface ServerInstruments {
  readonly duration: Histogram | undefined;
  readonly oldDuration: Histogram | undefined;
  readonly activeRequests: UpDownCounter | undefined;
  readonly requestBodySize: Histogram | undefined;
  readonly responseBodySize: Histogram | undefined;
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
    activeRequests: metrics.activeRequests
      ? meter.createUpDownCounter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS, {
          description: 'Number of active HTTP server requests.',
          unit: '{request}',
        })
      : undefined,
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
