import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';
import { ATTR, requestHeaderAttribute, responseHeaderAttribute } from '../semconv.js';
import type { Check } from './types.js';

/** Everything a span carries, as text, to prove a secret appears nowhere in it. */
const spanText = (span: ReadableSpan) =>
  JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    links: span.links,
    status: span.status,
  });

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[0-3]$/;

/** Privacy defaults, header capture, the trace response header and user hooks. */
export const OPTION_CHECKS: readonly Check[] = [
  {
    id: 'privacy.request-headers',
    title: 'listed request headers are captured as string[]; authorization is REDACTED',
    options: { captureRequestHeaders: ['x-request-id', 'authorization'] },
    async run(t) {
      await t.request('/users/42', {
        headers: {
          'x-request-id': 'abc',
          authorization: 'Bearer top-secret-token',
          'x-not-listed': 'nope',
        },
      });
      const span = await t.serverSpan();
      expect(span.attributes[requestHeaderAttribute('x-request-id')]).toEqual(['abc']);
      expect(span.attributes[requestHeaderAttribute('authorization')]).toEqual(['REDACTED']);
      expect(span.attributes).not.toHaveProperty([requestHeaderAttribute('x-not-listed')]);
      expect(spanText(span)).not.toContain('top-secret-token');
    },
  },
  {
    id: 'privacy.no-headers-by-default',
    title: 'no request or response header is captured by default',
    async run(t) {
      await t.request('/users/42', { headers: { 'x-request-id': 'abc' } });
      const span = await t.serverSpan();
      const headerKeys = Object.keys(span.attributes).filter((key) =>
        /^http\.(request|response)\.header\./.test(key),
      );
      expect(headerKeys).toEqual([]);
    },
  },
  {
    id: 'privacy.response-headers',
    title: 'listed response headers are captured as string[]',
    options: { captureResponseHeaders: ['content-type'] },
    async run(t) {
      const { headers } = await t.request('/users/42');
      const span = await t.serverSpan();
      expect(span.attributes[responseHeaderAttribute('content-type')]).toEqual([
        headers.get('content-type'),
      ]);
    },
  },
  {
    id: 'privacy.query-redaction',
    title: 'url.query has sig=REDACTED and the secret appears nowhere in the span',
    async run(t) {
      await t.request('/users/42?sig=s3cr3t-value&x=1');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.urlQuery]).toBe('sig=REDACTED&x=1');
      expect(spanText(span)).not.toContain('s3cr3t-value');
      expect(JSON.stringify(await t.telemetry.collect())).not.toContain('s3cr3t-value');
    },
  },
  {
    id: 'options.trace-response-header',
    title: "traceResponseHeader: 'traceparent' returns a traceparent naming the server span",
    options: { traceResponseHeader: 'traceparent' },
    async run(t) {
      const { headers } = await t.request('/users/42');
      const span = await t.serverSpan();
      const match = TRACEPARENT.exec(headers.get('traceparent') ?? '');
      expect(match?.[1]).toBe(span.spanContext().traceId);
      expect(match?.[2]).toBe(span.spanContext().spanId);
    },
  },
  {
    id: 'options.server-timing-header',
    title: "traceResponseHeader: 'server-timing' returns Server-Timing: trace;desc=…",
    options: { traceResponseHeader: 'server-timing' },
    async run(t) {
      const { headers } = await t.request('/users/42');
      const span = await t.serverSpan();
      const { traceId, spanId } = span.spanContext();
      expect(headers.get('server-timing')).toMatch(
        new RegExp(`trace;desc="?00-${traceId}-${spanId}-0[0-3]"?`),
      );
    },
  },
  {
    id: 'options.no-trace-response-header-by-default',
    title: 'no traceparent or Server-Timing trace is returned by default',
    async run(t) {
      const { headers } = await t.request('/users/42');
      await t.serverSpan();
      expect(headers.get('traceparent')).toBeNull();
      expect(headers.get('server-timing') ?? '').not.toContain('trace;');
    },
  },
  {
    id: 'hooks.run',
    title: 'requestHook and responseHook run with the span, the request and the outcome',
    options: {
      requestHook: (span, request) => span.setAttribute('test.request_hook_path', request.path),
      responseHook: (span, _request, outcome) =>
        span.setAttribute('test.response_hook_status', outcome.statusCode ?? -1),
    },
    async run(t) {
      await t.request('/users/42');
      const span = await t.serverSpan();
      expect(span.attributes['test.request_hook_path']).toBe('/users/42');
      expect(span.attributes['test.response_hook_status']).toBe(200);
    },
  },
  {
    id: 'hooks.request-hook-throws',
    title: 'a throwing requestHook leaves the request intact',
    options: {
      requestHook: () => {
        throw new Error('requestHook failure');
      },
    },
    async run(t) {
      const response = await t.request('/users/42');
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body).id).toBe('42');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.statusCode]).toBe(200);
    },
  },
  {
    id: 'hooks.response-hook-throws',
    title: 'a throwing responseHook leaves the request intact',
    options: {
      responseHook: () => {
        throw new Error('responseHook failure');
      },
    },
    async run(t) {
      const response = await t.request('/users/42');
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body).id).toBe('42');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.statusCode]).toBe(200);
    },
  },
];
