import { type Attributes, type Context, type Link, SpanKind } from '@opentelemetry/api';
import { type Sampler, SamplingDecision, type SamplingResult } from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';
import { requestWithMethod } from '../client.js';
import { ATTR } from '../semconv.js';
import { CLIENT_USER_AGENT } from './context.js';
import type { Check } from './types.js';

/** Samples everything and remembers the attributes each SERVER span was started with. */
class RecordingSampler implements Sampler {
  readonly seen: Attributes[] = [];

  shouldSample(
    _context: Context,
    _traceId: string,
    _name: string,
    kind: SpanKind,
    attributes: Attributes,
    _links: Link[],
  ): SamplingResult {
    if (kind === SpanKind.SERVER) this.seen.push({ ...attributes });
    return { decision: SamplingDecision.RECORD_AND_SAMPLED };
  }

  toString(): string {
    return 'RecordingSampler';
  }
}

/** Required and recommended span attributes, and those a sampler must see. */
export const ATTRIBUTE_CHECKS: readonly Check[] = [
  {
    id: 'attributes.required-and-recommended',
    title: 'method, path, scheme, query, server, protocol, user agent, client, status code',
    async run(t) {
      await t.request('/users/42?x=1&y=2');
      const span = await t.serverSpan();
      expect(span.kind).toBe(SpanKind.SERVER);
      expect(span.attributes).toMatchObject({
        [ATTR.method]: 'GET',
        [ATTR.urlPath]: '/users/42',
        [ATTR.urlScheme]: 'http',
        [ATTR.urlQuery]: 'x=1&y=2',
        [ATTR.serverAddress]: '127.0.0.1',
        [ATTR.serverPort]: t.port,
        [ATTR.protocolVersion]: '1.1',
        [ATTR.userAgent]: CLIENT_USER_AGENT,
        [ATTR.clientAddress]: '127.0.0.1',
        [ATTR.statusCode]: 200,
      });
      expect(Number.isInteger(span.attributes[ATTR.statusCode])).toBe(true);
      expect(Number.isInteger(span.attributes[ATTR.serverPort])).toBe(true);
    },
  },
  {
    id: 'attributes.no-query',
    title: 'url.query is absent when the target has no query',
    async run(t) {
      await t.request('/users/42');
      const span = await t.serverSpan();
      expect(span.attributes).not.toHaveProperty([ATTR.urlQuery]);
      expect(span.attributes[ATTR.urlPath]).toBe('/users/42');
    },
  },
  {
    id: 'attributes.no-url-full',
    title: 'no url.full on the server span',
    async run(t) {
      await t.request('/users/42?x=1');
      const span = await t.serverSpan();
      expect(span.attributes).not.toHaveProperty([ATTR.urlFull]);
    },
  },
  {
    id: 'attributes.seen-by-sampler',
    title: 'the sampler sees method, path, query, scheme, server, client and user agent at start',
    sampler: () => new RecordingSampler(),
    async run(t) {
      await t.request('/users/42?x=1');
      await t.serverSpan();
      const { seen } = t.sampler as RecordingSampler;
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        [ATTR.method]: 'GET',
        [ATTR.urlPath]: '/users/42',
        [ATTR.urlQuery]: 'x=1',
        [ATTR.urlScheme]: 'http',
        [ATTR.serverAddress]: '127.0.0.1',
        [ATTR.serverPort]: t.port,
        [ATTR.clientAddress]: '127.0.0.1',
        [ATTR.userAgent]: CLIENT_USER_AGENT,
      });
    },
  },
  {
    id: 'method.unknown',
    title: 'PURGE is reported as _OTHER with the original method, named HTTP…',
    async run(t) {
      await requestWithMethod(t.url('/users/42'), 'PURGE');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.method]).toBe('_OTHER');
      expect(span.attributes[ATTR.methodOriginal]).toBe('PURGE');
      expect(span.name.startsWith('HTTP')).toBe(true);
      expect(span.name).not.toContain('PURGE');
    },
  },
];
