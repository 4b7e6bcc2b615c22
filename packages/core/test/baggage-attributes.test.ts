import { type Attributes, DiagLogLevel, diag } from '@opentelemetry/api';
import { type Sampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import type { OtelHttpOptions } from '../src/index.js';
import { createTelemetry, registerGlobals, startServer } from './harness.js';

let restoreGlobals: () => void;
const closers: Array<() => Promise<void>> = [];
beforeAll(() => {
  restoreGlobals = registerGlobals();
});
afterAll(() => restoreGlobals());
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** The attributes of the server span of one request sent with `headers`. */
async function spanAttributes(
  options: Partial<OtelHttpOptions>,
  headers: Record<string, string>,
  sampler?: Sampler,
): Promise<{ span: Attributes; metrics: Attributes[] }> {
  const t = createTelemetry(sampler);
  const server = await startServer({ ...t, ...options }, (_req, res) => void res.end('ok'));
  closers.push(server.close);
  const response = await fetch(`${server.url}/chat`, { headers });
  expect(response.status).toBe(200);
  await response.text();
  const [span] = await t.waitForSpans(1);
  const points = await t.histogramPoints('http.server.request.duration');
  return { span: span?.attributes ?? {}, metrics: points.map((point) => point.attributes) };
}

describe('baggageToAttributes', () => {
  const headers = {
    traceparent: TRACEPARENT,
    baggage: 'session.id=s-42,message.id=m%207,tenant=acme',
  };

  it('records nothing from baggage by default', async () => {
    const { span } = await spanAttributes({}, headers);
    expect(Object.keys(span).filter((key) => /session|message|tenant/.test(key))).toEqual([]);
  });

  it('puts the listed entries on the server span, decoded, and never on metrics', async () => {
    const { span, metrics } = await spanAttributes(
      { baggageToAttributes: ['session.id', 'message.id', 'absent'] },
      headers,
    );
    expect(span['session.id']).toBe('s-42');
    expect(span['message.id']).toBe('m 7');
    expect(span.tenant).toBeUndefined();
    expect(span.absent).toBeUndefined();
    expect(metrics).toHaveLength(1);
    expect(Object.keys(metrics[0] ?? {}).filter((key) => /session|message/.test(key))).toEqual([]);
  });

  it('gives them to the sampler, as start attributes', async () => {
    const seen: Attributes[] = [];
    const sampler: Sampler = {
      shouldSample: (_context, _traceId, _name, _kind, attributes) => {
        seen.push(attributes);
        return { decision: SamplingDecision.RECORD_AND_SAMPLED };
      },
      toString: () => 'seeing',
    };
    await spanAttributes({ baggageToAttributes: ['session.id'] }, headers, sampler);
    expect(seen[0]?.['session.id']).toBe('s-42');
  });

  it.each<[string, OtelHttpOptions['trustRemoteContext']]>([
    ['false', false],
    ['a predicate saying no', () => false],
  ])(
    'takes nothing from a caller that is not trusted (trustRemoteContext %s)',
    async (_, trust) => {
      const { span } = await spanAttributes(
        { baggageToAttributes: ['session.id'], trustRemoteContext: trust },
        headers,
      );
      expect(span['session.id']).toBeUndefined();
    },
  );

  it('takes them from a caller a predicate trusts', async () => {
    const { span } = await spanAttributes(
      {
        baggageToAttributes: ['session.id'],
        trustRemoteContext: (request) => request.header('x-internal') === '1',
      },
      { ...headers, 'x-internal': '1' },
    );
    expect(span['session.id']).toBe('s-42');
  });

  it('bounds hostile values: long ones cut to 256, empty ones left out, its own attributes kept', async () => {
    const { span } = await spanAttributes(
      { baggageToAttributes: ['long', 'empty', 'url.path', 'http.request.method'] },
      {
        baggage: `long=${'x'.repeat(3000)},empty=,url.path=/forged,http.request.method=DELETE`,
      },
    );
    expect(span.long).toBe('x'.repeat(256));
    expect(span.empty).toBeUndefined();
    expect(span['url.path']).toBe('/chat');
    expect(span['http.request.method']).toBe('GET');
  });

  it('works without a traceparent (baggage alone)', async () => {
    const { span } = await spanAttributes(
      { baggageToAttributes: ['session.id'] },
      { baggage: 'session.id=only' },
    );
    expect(span['session.id']).toBe('only');
  });
});

describe('the baggageToAttributes option', () => {
  it('keeps non-empty string keys once each, and warns about the rest', () => {
    const warnings: unknown[] = [];
    diag.setLogger(
      { error() {}, warn: (...args) => warnings.push(args), info() {}, debug() {}, verbose() {} },
      { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    try {
      expect(resolveConfig({}).baggageToAttributes).toEqual([]);
      expect(
        resolveConfig({ baggageToAttributes: ['a', 'a', 'B', '', 3 as never] }).baggageToAttributes,
      ).toEqual(['a', 'B']);
      expect(warnings).toHaveLength(1);
      expect(
        resolveConfig({ baggageToAttributes: 'session.id' as never }).baggageToAttributes,
      ).toEqual([]);
      expect(String(warnings[1])).toContain('must be an array');
    } finally {
      diag.disable();
    }
  });
});
