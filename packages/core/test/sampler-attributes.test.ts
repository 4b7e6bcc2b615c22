// Start attributes and the sampler: a sampler that reads attributes sees every start attribute;
// one known to ignore them (the SDK's trace-id and parent samplers, or one marked with
// SAMPLER_IGNORES_ATTRIBUTES) gets none, the attributes go on a span that records, and an
// unsampled request builds none. Either way a recorded span ends with the same attributes.
import {
  type Attributes,
  type Context,
  context,
  type Link,
  type SpanKind,
  trace,
} from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createServerInstrumentation,
  type RequestInfo,
  SAMPLER_IGNORES_ATTRIBUTES,
} from '../src/index.js';
import { samplerIgnoresAttributes } from '../src/sampler-inspection.js';

/** A sampler that reads the attributes: it samples `/keep` only, and remembers what it saw. */
class PathSampler implements Sampler {
  seen: Attributes[] = [];
  shouldSample(
    _context: Context,
    _traceId: string,
    _name: string,
    _kind: SpanKind,
    attributes: Attributes,
    _links: Link[],
  ): SamplingResult {
    this.seen.push({ ...attributes });
    return {
      decision:
        attributes['url.path'] === '/keep'
          ? SamplingDecision.RECORD_AND_SAMPLED
          : SamplingDecision.NOT_RECORD,
    };
  }
  toString() {
    return 'PathSampler';
  }
}

function request(path: string, reads: string[]): RequestInfo {
  const headers: Record<string, string> = {
    host: 'shop.test:8080',
    'user-agent': 'probe/1.0',
    'x-tenant': 'acme',
  };
  return {
    method: 'GET',
    scheme: 'http',
    path,
    query: 'q=1',
    protocolVersion: '1.1',
    peerAddress: '10.0.0.9',
    peerPort: 40000,
    header: (name) => {
      reads.push(name);
      return headers[name];
    },
  };
}

function setup(sampler: Sampler) {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    sampler,
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const instrumentation = createServerInstrumentation({
    tracerProvider,
    captureRequestHeaders: ['x-tenant'],
  });
  const serve = (path: string) => {
    const reads: string[] = [];
    const handle = instrumentation.start(request(path, reads));
    handle?.setRoute(path);
    handle?.end({ statusCode: 200 });
    return reads;
  };
  return { spans, serve, tracerProvider };
}

afterEach(() => {
  trace.disable();
  context.disable();
});

describe('which samplers are known to ignore attributes', () => {
  const tracerOf = (sampler: Sampler) => new BasicTracerProvider({ sampler }).getTracer('t');
  it('the SDK trace-id and parent samplers, nested, and a marked sampler', () => {
    expect(samplerIgnoresAttributes(tracerOf(new AlwaysOnSampler()))).toBe(true);
    expect(samplerIgnoresAttributes(tracerOf(new AlwaysOffSampler()))).toBe(true);
    expect(samplerIgnoresAttributes(tracerOf(new TraceIdRatioBasedSampler(0.1)))).toBe(true);
    expect(
      samplerIgnoresAttributes(
        tracerOf(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) })),
      ),
    ).toBe(true);
    const marked = Object.assign(new PathSampler(), { [SAMPLER_IGNORES_ATTRIBUTES]: true });
    expect(samplerIgnoresAttributes(tracerOf(marked))).toBe(true);
  });

  it('not a sampler of the user, nor a parent-based one over it, nor a subclass', () => {
    expect(samplerIgnoresAttributes(tracerOf(new PathSampler()))).toBe(false);
    expect(
      samplerIgnoresAttributes(tracerOf(new ParentBasedSampler({ root: new PathSampler() }))),
    ).toBe(false);
    class Picky extends TraceIdRatioBasedSampler {}
    expect(samplerIgnoresAttributes(tracerOf(new Picky(0.5)))).toBe(false);
  });

  it('a global proxy tracer: unknown until a provider is registered, then its sampler', () => {
    const proxy = trace.getTracer('late');
    expect(samplerIgnoresAttributes(proxy)).toBe(undefined);
    trace.setGlobalTracerProvider(new BasicTracerProvider({ sampler: new PathSampler() }));
    // The proxy resolves its delegate at its first span.
    proxy.startSpan('x').end();
    expect(samplerIgnoresAttributes(proxy)).toBe(false);
  });
});

describe('the server span start attributes', () => {
  it('a sampler that reads attributes sees them all at the start', () => {
    const sampler = new PathSampler();
    const { spans, serve } = setup(sampler);
    serve('/keep');
    serve('/drop');
    expect(sampler.seen).toHaveLength(2);
    expect(sampler.seen[1]).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/drop',
      'url.query': 'q=1',
      'server.address': 'shop.test',
      'user_agent.original': 'probe/1.0',
      'http.request.header.x-tenant': ['acme'],
    });
    expect(spans.getFinishedSpans().map((s) => s.attributes['url.path'])).toEqual(['/keep']);
  });

  it('with a sampler that ignores them: the same recorded span, and nothing built when unsampled', () => {
    const reading = setup(new PathSampler());
    const blind = setup(new AlwaysOnSampler());
    const dropped = setup(new AlwaysOffSampler());
    reading.serve('/keep');
    const blindReads = blind.serve('/keep');
    const droppedReads = dropped.serve('/keep');
    const [expected] = reading.spans.getFinishedSpans();
    const [actual] = blind.spans.getFinishedSpans();
    expect(actual?.attributes).toEqual(expected?.attributes);
    expect(actual?.name).toBe(expected?.name);
    // The unsampled request never read the headers only the span's attributes need.
    expect(blindReads).toContain('user-agent');
    expect(blindReads).toContain('x-tenant');
    expect(droppedReads).not.toContain('user-agent');
    expect(droppedReads).not.toContain('x-tenant');
    expect(dropped.spans.getFinishedSpans()).toHaveLength(0);
  });
});
