// The `floor` mode: the least any instrumentation that makes its span active must do per request —
// one `startSpan`, running the handler in the span's context, one `end` and one `histogram.record`
// with the route. No propagation, hooks, header capture or active-request counter: what is left is
// the SDK's own cost, which otel-http cannot go below.

import { context, metrics, SpanKind, trace } from '@opentelemetry/api';
import { DURATION_BUCKETS_SECONDS } from '@otel-http/core';

/**
 * @typedef {object} FloorRequest
 * @property {import('@opentelemetry/api').Span} span
 * @property {import('@opentelemetry/api').Context} context Run the handler chain in it.
 * @property {string} method
 * @property {number} startTime `performance.now()` at the start.
 */

/**
 * @typedef {object} Floor
 * @property {(method: string, path: string) => FloorRequest} start
 * @property {(request: FloorRequest, statusCode: number, route: string | undefined) => void} end
 */

/** @returns {Floor} */
export function createFloor() {
  const tracer = trace.getTracer('floor');
  const histogram = metrics.getMeter('floor').createHistogram('http.server.request.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
  });
  return {
    start(method, path) {
      const span = tracer.startSpan(method, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': method, 'url.path': path, 'url.scheme': 'http' },
      });
      return {
        span,
        context: trace.setSpan(context.active(), span),
        method,
        startTime: performance.now(),
      };
    },
    end(request, statusCode, route) {
      request.span.setAttribute('http.response.status_code', statusCode);
      if (route !== undefined) {
        request.span.setAttribute('http.route', route);
        request.span.updateName(`${request.method} ${route}`);
      }
      request.span.end();
      histogram.record((performance.now() - request.startTime) / 1000, {
        'http.request.method': request.method,
        'url.scheme': 'http',
        'http.response.status_code': statusCode,
        ...(route === undefined ? {} : { 'http.route': route }),
      });
    },
  };
}
