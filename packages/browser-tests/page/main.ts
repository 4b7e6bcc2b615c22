/**
 * The page of the browser test: the OpenTelemetry web SDK with the fetch instrumentation, W3C
 * trace context and baggage. `window.callService()` calls a service on another origin with the
 * page's baggage and returns what the page could see: the response, the trace-response header the
 * service exposed, and the page's own finished spans.
 */
import { context, propagation, type SpanContext } from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';

const exporter = new InMemorySpanExporter();
const provider = new WebTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register({
  propagator: new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
});
registerInstrumentations({
  instrumentations: [
    // Trace headers go to other origins only when listed: the loopback services here.
    new FetchInstrumentation({ propagateTraceHeaderCorsUrls: [/^http:\/\/127\.0\.0\.1:\d+\//] }),
  ],
});

export interface PageSpan {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly attributes: Record<string, unknown>;
}

export interface CallResult {
  readonly status: number;
  readonly body: unknown;
  /** The trace-response headers the service exposed to the page (`null` when not readable). */
  readonly traceparent: string | null;
  readonly serverTiming: string | null;
  readonly spans: PageSpan[];
}

declare global {
  interface Window {
    callService(url: string, baggage: Record<string, string>): Promise<CallResult>;
  }
}

const toPageSpan = (span: ReturnType<InMemorySpanExporter['getFinishedSpans']>[number]) => {
  const own: SpanContext = span.spanContext();
  return {
    name: span.name,
    kind: span.kind,
    traceId: own.traceId,
    spanId: own.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
  };
};

window.callService = async (url, entries) => {
  exporter.reset();
  const baggage = propagation.createBaggage(
    Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, { value }])),
  );
  const response = await context.with(propagation.setBaggage(context.active(), baggage), () =>
    fetch(url),
  );
  const body: unknown = await response.json();
  // The fetch span ends once the instrumentation has read the resource timing (a few hundred ms).
  const deadline = Date.now() + 5000;
  while (exporter.getFinishedSpans().length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    status: response.status,
    body,
    traceparent: response.headers.get('traceparent'),
    serverTiming: response.headers.get('server-timing'),
    spans: exporter.getFinishedSpans().map(toPageSpan),
  };
};
