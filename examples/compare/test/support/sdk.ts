import { metrics, trace } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { CheckTelemetry, registerGlobals } from '@otel-http/conformance';

/**
 * The real SDK registered globally, as `startTelemetry` would, with spans kept in memory and
 * metrics collected on demand: the examples use the global providers. The SDK is the conformance
 * suite's `CheckTelemetry`; here its providers become the global ones, next to the context manager
 * and propagators of `registerGlobals`.
 */
export function registerTestSdk() {
  const telemetry = new CheckTelemetry();
  const unregisterGlobals = registerGlobals();
  trace.setGlobalTracerProvider(telemetry.tracerProvider);
  metrics.setGlobalMeterProvider(telemetry.meterProvider);

  return {
    /** The ended spans of one trace, once `until` holds for them (bounded wait). */
    async spansOf(
      traceId: string,
      until: (spans: ReadableSpan[]) => boolean = (spans) => spans.some((span) => span.kind === 1),
    ): Promise<ReadableSpan[]> {
      const ofTrace = () =>
        telemetry.spans().filter((span) => span.spanContext().traceId === traceId);
      for (let i = 0; i < 200 && !until(ofTrace()); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return ofTrace();
    },
    /** The data points of the request duration histogram, from a fresh collection. */
    durationPoints(): Promise<DataPoint<Histogram>[]> {
      return telemetry.histogram('http.server.request.duration');
    },
    async shutdown() {
      await telemetry.shutdown();
      trace.disable();
      metrics.disable();
      unregisterGlobals();
    },
  };
}
