import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { CompactConsoleSpanExporter, startTelemetry, type Telemetry } from '../src/index.js';
import { resetGlobals } from './support/globals.js';
import { startInstrumentedServer, waitFor } from './support/loopback.js';

describe('CompactConsoleSpanExporter', () => {
  it('writes one readable line per span, with the full ids', () => {
    const lines: string[] = [];
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new SimpleSpanProcessor(new CompactConsoleSpanExporter({ write: (l) => lines.push(l) })),
      ],
    });
    const tracer = provider.getTracer('t');
    const parent = tracer.startSpan('GET /users/:id', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.route': '/users/:id',
        'http.response.status_code': 500,
        'user_agent.original': 'curl 8',
      },
    });
    parent.setStatus({ code: SpanStatusCode.ERROR });
    parent.recordException(new Error('boom'));
    const child = tracer.startSpan('db query', {}, trace.setSpan(ROOT_CONTEXT, parent));
    child.end();
    parent.end();

    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain('\n');
    const [childLine, parentLine] = lines;
    const { traceId, spanId } = parent.spanContext();
    expect(parentLine).toMatch(
      new RegExp(
        `^\\d{2}:\\d{2}:\\d{2}\\.\\d{3} SERVER "GET /users/:id" \\d+\\.\\d{2}ms ERROR trace_id=${traceId} span_id=${spanId} parent_id=- `,
      ),
    );
    expect(parentLine).toContain(
      ' http.route=/users/:id http.response.status_code=500 user_agent.original="curl 8"',
    );
    expect(parentLine).toMatch(/ events=exception$/);
    expect(childLine).toContain(` INTERNAL "db query" `);
    expect(childLine).toContain(`trace_id=${traceId}`);
    expect(childLine).toContain(`parent_id=${spanId}`);
  });

  it('cuts long values', () => {
    const lines: string[] = [];
    const exporter = new CompactConsoleSpanExporter({
      write: (l) => lines.push(l),
      maxValueLength: 10,
    });
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    provider
      .getTracer('t')
      .startSpan('s', { attributes: { long: 'x'.repeat(50) } })
      .end();
    expect(lines[0]).toContain(`long=${'x'.repeat(10)}…`);
  });
});

describe('the embedded default', () => {
  let telemetry: Telemetry | undefined;
  const originalWrite = process.stdout.write;
  afterEach(async () => {
    process.stdout.write = originalWrite;
    await telemetry?.shutdown();
    resetGlobals();
  });

  it('prints each request as one line on standard output', async () => {
    const printed: string[] = [];
    // Standard output is where the default goes; the test reads it there.
    process.stdout.write = ((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    // Only the Prometheus port is set: 9464 may be taken on a test machine.
    telemetry = startTelemetry({ prometheus: { host: '127.0.0.1', port: 0 }, logLevel: 'none' });
    const service = await startInstrumentedServer((_req, res, handle) => {
      handle?.setRoute('/hello');
      res.end('hi');
    });
    try {
      await (await fetch(`${service.url}/hello`)).text();
    } finally {
      await service.close();
    }
    await waitFor(
      () => printed.some((chunk) => chunk.includes('"GET /hello"')),
      'the console line',
      5000,
    );
    process.stdout.write = originalWrite;
    const line = printed.find((chunk) => chunk.includes('"GET /hello"'));
    expect(line).toMatch(
      / SERVER "GET \/hello" [\d.]+ms trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16} parent_id=- /,
    );
    expect(line?.endsWith('\n')).toBe(true);
    expect(line?.split('\n')).toHaveLength(2);
    expect((await telemetry.ready).prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  });
});
