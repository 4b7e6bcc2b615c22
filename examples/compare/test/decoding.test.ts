// The two formats the compare command reads: OTLP protobuf as the SDK's own serializer writes it,
// and the Prometheus text format.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequest } from '../src/otlp-protobuf.js';
import { parsePrometheusText } from '../src/prometheus-text.js';

describe('decodeTraceRequest', () => {
  it('reads back what the SDK serializes: ids, names, kinds, times, attributes, events, status, scope, resource', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'process.pid': 42 }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('scope-a', '1.2.3');
    const parent = tracer.startSpan('GET /users/:id', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.route': '/users/:id',
        'http.response.status_code': 500,
        ratio: 0.25,
        cached: false,
        tags: ['a', 'b'],
        negative: -7,
      },
    });
    parent.addEvent('sse.message', { 'sse.event.id': '1' });
    parent.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    const parentContext = parent.spanContext();
    const child = tracer.startSpan(
      'SELECT users',
      { kind: SpanKind.CLIENT },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    child.end();
    parent.end();

    const bytes = ProtobufTraceSerializer.serializeRequest(
      exporter.getFinishedSpans(),
    ) as Uint8Array;
    const spans = decodeTraceRequest(bytes);
    expect(spans).toHaveLength(2);
    const server = spans.find((span) => span.name === 'GET /users/:id');
    expect(server).toMatchObject({
      traceId: parentContext.traceId,
      spanId: parentContext.spanId,
      parentSpanId: '',
      kind: 'SERVER',
      attributes: {
        'http.route': '/users/:id',
        'http.response.status_code': 500,
        ratio: 0.25,
        cached: false,
        tags: ['a', 'b'],
        negative: -7,
      },
      events: [{ name: 'sse.message', attributes: { 'sse.event.id': '1' } }],
      status: { code: 'ERROR', message: 'boom' },
      scope: { name: 'scope-a', version: '1.2.3' },
      resource: { 'service.name': 'checkout', 'process.pid': 42 },
    });
    expect(server?.endTimeUnixNano).toBeGreaterThanOrEqual(server?.startTimeUnixNano as bigint);
    const client = spans.find((span) => span.name === 'SELECT users');
    expect(client).toMatchObject({ kind: 'CLIENT', parentSpanId: parentContext.spanId });
    await provider.shutdown();
  });

  it('refuses a truncated body instead of returning half of it', () => {
    expect(() => decodeTraceRequest(Uint8Array.from([0x0a, 0x10, 0x0a]))).toThrow(/truncated/);
  });
});

describe('parsePrometheusText', () => {
  it('reads families, samples, labels with escapes, and special values', () => {
    const { families, samples } = parsePrometheusText(
      [
        '# HELP http_server_request_duration Duration of HTTP server requests.',
        '# UNIT http_server_request_duration s',
        '# TYPE http_server_request_duration histogram',
        'http_server_request_duration_bucket{http_route="/a",le="0.005"} 0',
        'http_server_request_duration_bucket{http_route="/a",le="+Inf"} 3',
        'http_server_request_duration_count{http_route="/a",note="say \\"hi\\"\\\\n",x="a,b"} 3 1700000000000',
        'up 1',
        '',
      ].join('\n'),
    );
    expect(families.get('http_server_request_duration')).toEqual({
      help: 'Duration of HTTP server requests.',
      unit: 's',
      type: 'histogram',
    });
    expect(samples).toEqual([
      {
        name: 'http_server_request_duration_bucket',
        labels: { http_route: '/a', le: '0.005' },
        value: 0,
      },
      {
        name: 'http_server_request_duration_bucket',
        labels: { http_route: '/a', le: '+Inf' },
        value: 3,
      },
      {
        name: 'http_server_request_duration_count',
        labels: { http_route: '/a', note: 'say "hi"\\n', x: 'a,b' },
        value: 3,
      },
      { name: 'up', labels: {}, value: 1 },
    ]);
  });
});
