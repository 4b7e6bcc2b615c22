/**
 * A Cloudflare Worker as the Hono README sets one up: `otel()` first, the AsyncLocalStorage
 * context manager (`nodejs_compat`), a `BasicTracerProvider` whose exporter sends over `fetch`,
 * and the flush from `ctx.waitUntil` once the body is done. The exporter posts each span as JSON
 * to the `RECEIVER` URL of the worker's environment.
 */
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  type ExportResult,
  ExportResultCode,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import {
  BasicTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { otel } from '@otel-http/hono';
import { type ExecutionContext, Hono } from 'hono';

interface Env {
  RECEIVER: string;
}

let receiver = '';

class FetchJsonExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const body = spans.map((span) => ({
      name: span.name,
      kind: span.kind,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      attributes: span.attributes,
      status: span.status,
    }));
    fetch(receiver, { method: 'POST', body: JSON.stringify(body) }).then(
      (response) => {
        done({ code: response.ok ? ExportResultCode.SUCCESS : ExportResultCode.FAILED });
      },
      (error: Error) => done({ code: ExportResultCode.FAILED, error }),
    );
  }

  async shutdown(): Promise<void> {}
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new FetchJsonExporter())],
});

const app = new Hono<{ Bindings: Env }>();
app.use(otel({ tracerProvider }));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
const api = new Hono();
api.get('/items/:itemId', (c) => c.json({ itemId: c.req.param('itemId') }));
app.route('/api/v1', api);
app.get('/boom', () => {
  throw new TypeError('boom');
});
app.get('/stream', (c) => {
  const encoder = new TextEncoder();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      controller.enqueue(encoder.encode(`data: event-${sent}\n\n`));
      if (++sent === 3) controller.close();
    },
  });
  return c.body(body, 200, { 'content-type': 'text/event-stream' });
});

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    receiver = env.RECEIVER;
    const response = await app.fetch(request, env, ctx);
    if (response.body === null) {
      ctx.waitUntil(tracerProvider.forceFlush());
      return response;
    }
    const { readable, writable } = new TransformStream();
    ctx.waitUntil(response.body.pipeTo(writable).finally(() => tracerProvider.forceFlush()));
    return new Response(readable, response);
  },
};
