import { expect } from 'vitest';
import { rawRequest } from '../client.js';
import { attributeKeys, histogramCount, histogramPoints } from '../metrics.js';
import { METRIC } from '../semconv.js';
import { CALLER, MALFORMED_TRACEPARENTS, VALID_TRACEPARENT } from '../traceparents.js';
import { waitFor } from '../wait.js';
import type { Check } from './types.js';

const malformedChecks: Check[] = MALFORMED_TRACEPARENTS.map(({ label, value }) => ({
  id: `propagation.malformed-traceparent.${label}`,
  title: `traceparent "${label}" is ignored: new trace, request succeeds`,
  async run(t) {
    const response = await rawRequest(t.server.url, {
      path: '/users/42',
      headers: [
        ['traceparent', value],
        ['tracestate', 'vendor=value'],
      ],
    });
    expect(response.status).toBe(200);
    const span = await t.serverSpan();
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe(CALLER.traceId);
    expect(span.spanContext().traceState?.serialize() ?? '').toBe('');
  },
}));

/** W3C trace context and baggage, continued, ignored when malformed, or not trusted. */
export const PROPAGATION_CHECKS: readonly Check[] = [
  {
    id: 'propagation.remote-parent',
    title: 'a valid traceparent is continued: same trace, the caller as parent',
    async run(t) {
      const body = JSON.parse(
        (await t.request('/users/42', { headers: { traceparent: VALID_TRACEPARENT } })).body,
      );
      const span = await t.serverSpan();
      expect(span.spanContext().traceId).toBe(CALLER.traceId);
      expect(span.parentSpanContext?.spanId).toBe(CALLER.spanId);
      expect(span.parentSpanContext?.isRemote).toBe(true);
      expect(body.traceId).toBe(CALLER.traceId);
    },
  },
  {
    id: 'propagation.tracestate',
    title: 'tracestate is kept with a valid traceparent',
    async run(t) {
      await t.request('/users/42', {
        headers: { traceparent: VALID_TRACEPARENT, tracestate: 'vendor=value,other=1' },
      });
      const span = await t.serverSpan();
      expect(span.spanContext().traceState?.get('vendor')).toBe('value');
      expect(span.spanContext().traceState?.get('other')).toBe('1');
    },
  },
  {
    id: 'propagation.future-version',
    title: 'a higher traceparent version is parsed by its first four fields',
    async run(t) {
      await t.request('/users/42', {
        headers: { traceparent: `cc-${CALLER.traceId}-${CALLER.spanId}-01-what-comes-next` },
      });
      const span = await t.serverSpan();
      expect(span.spanContext().traceId).toBe(CALLER.traceId);
      expect(span.parentSpanContext?.spanId).toBe(CALLER.spanId);
    },
  },
  ...malformedChecks,
  {
    id: 'propagation.baggage',
    title: 'baggage from the caller is readable in the handler',
    async run(t) {
      const { body } = await t.request('/users/42', {
        headers: { baggage: 'tenant=acme,plan=pro%20plus;ttl=60' },
      });
      await t.serverSpan();
      expect(JSON.parse(body).baggage).toEqual({ tenant: 'acme', plan: 'pro plus' });
    },
  },
  {
    id: 'propagation.malformed-baggage',
    title: 'a malformed baggage header is ignored and the request succeeds',
    async run(t) {
      const response = await rawRequest(t.server.url, {
        path: '/users/42',
        headers: [
          ['traceparent', VALID_TRACEPARENT],
          ['baggage', '=;;%%%,,=,novalue'],
        ],
      });
      expect(response.status).toBe(200);
      const span = await t.serverSpan();
      expect(span.spanContext().traceId).toBe(CALLER.traceId);
    },
  },
  {
    id: 'propagation.untrusted-remote-context',
    title: 'trustRemoteContext: false starts a new trace that links to the caller',
    options: { trustRemoteContext: false },
    async run(t) {
      const body = JSON.parse(
        (await t.request('/users/42', { headers: { traceparent: VALID_TRACEPARENT } })).body,
      );
      const span = await t.serverSpan();
      expect(span.spanContext().traceId).not.toBe(CALLER.traceId);
      expect(span.parentSpanContext).toBeUndefined();
      expect(body.traceId).toBe(span.spanContext().traceId);
      expect(span.links.map((link) => link.context)).toEqual([
        expect.objectContaining({ traceId: CALLER.traceId, spanId: CALLER.spanId }),
      ]);
    },
  },
  {
    id: 'propagation.untrusted-baggage',
    title: 'trustRemoteContext: false ignores the caller baggage',
    options: { trustRemoteContext: false },
    async run(t) {
      const { body } = await t.request('/users/42', {
        headers: { traceparent: VALID_TRACEPARENT, baggage: 'tenant=acme' },
      });
      await t.serverSpan();
      expect(JSON.parse(body).baggage).toEqual({});
    },
  },
  {
    id: 'propagation.baggage-to-attributes',
    title: 'baggageToAttributes puts the listed baggage entries on the server span, not on metrics',
    options: { baggageToAttributes: ['session.id', 'message.id'] },
    async run(t) {
      await t.request('/users/42', {
        headers: {
          traceparent: VALID_TRACEPARENT,
          baggage: 'session.id=s-1,message.id=m%201,tenant=acme',
        },
      });
      const span = await t.serverSpan();
      expect(span.attributes['session.id']).toBe('s-1');
      expect(span.attributes['message.id']).toBe('m 1');
      expect(span.attributes.tenant).toBeUndefined();
      await waitFor('the duration measurement', async () =>
        histogramCount(await t.telemetry.collect(), METRIC.duration) >= 1 ? true : undefined,
      );
      for (const point of histogramPoints(await t.telemetry.collect(), METRIC.duration)) {
        expect(attributeKeys(point.attributes).filter((key) => key.includes('.id'))).toEqual([]);
      }
    },
  },
  {
    id: 'propagation.untrusted-baggage-attributes',
    title: 'baggageToAttributes takes nothing from an untrusted caller',
    options: { baggageToAttributes: ['session.id'], trustRemoteContext: false },
    async run(t) {
      await t.request('/users/42', {
        headers: { traceparent: VALID_TRACEPARENT, baggage: 'session.id=s-1' },
      });
      const span = await t.serverSpan();
      expect(span.attributes['session.id']).toBeUndefined();
    },
  },
];
