import { type Attributes, type Context, trace } from '@opentelemetry/api';
import { expect } from 'vitest';
import { requestWithMethod } from '../client.js';
import { histogramCount, histogramPoints, sumPoints } from '../metrics.js';
import { ROUTES } from '../routes.js';
import { ATTR, METRIC, SERVER_EXCEPTION_EVENT, SEVERITY_ERROR } from '../semconv.js';
import { waitFor } from '../wait.js';
import type { CheckContext } from './context.js';
import type { Check } from './types.js';

/** What a log record emitted through the Logs API carries, as far as the checks look. */
interface EmittedRecord {
  eventName?: string;
  severityNumber?: number;
  attributes?: Attributes;
  context?: Context;
}

/**
 * A LoggerProvider reduced to what the Logs API calls, keeping what is emitted: the checks see
 * exactly what the adapter hands to the Logs API, whichever logs SDK an application would use.
 */
const emitted: EmittedRecord[] = [];
const recordingLoggerProvider = {
  getLogger: () => ({ emit: (record: EmittedRecord) => void emitted.push(record) }),
};

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

async function durationAttributes(t: CheckContext, count: number): Promise<Attributes[]> {
  await waitFor(`${count} duration measurement(s)`, async () =>
    histogramCount(await t.telemetry.collect(), METRIC.duration) >= count ? true : undefined,
  );
  return histogramPoints(await t.telemetry.collect(), METRIC.duration).map(
    (point) => point.attributes,
  );
}

/** The exception of `/api/v1/boom`, recorded as the given signal says. */
async function boomExceptions(t: CheckContext) {
  expect((await t.request(`${ROUTES.mount}/boom`)).status).toBe(500);
  const span = await t.serverSpan();
  const records = [...emitted];
  return { span, events: span.events.filter((event) => event.name === 'exception'), records };
}

/**
 * What the conventions added or sharpened up to the release the packages implement (see the
 * project's docs/semconv-audit.md): one check per observable row that no older check covers.
 */
export const CURRENT_SEMCONV_CHECKS: readonly Check[] = [
  {
    id: 'method.query',
    title: 'QUERY is a known method: http.request.method QUERY, no _original, named QUERY…',
    async run(t) {
      await requestWithMethod(t.url('/users/42'), 'QUERY');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.method]).toBe('QUERY');
      expect(span.attributes).not.toHaveProperty([ATTR.methodOriginal]);
      expect(span.name.split(' ')[0]).toBe('QUERY');
    },
  },
  {
    id: 'method.known-list-override',
    title: 'knownMethods replaces the default list: QUERY outside it is _OTHER',
    options: { knownMethods: ['GET', 'POST'] },
    async run(t) {
      await requestWithMethod(t.url('/users/42'), 'QUERY');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.method]).toBe('_OTHER');
      expect(span.attributes[ATTR.methodOriginal]).toBe('QUERY');
      expect(span.name.split(' ')[0]).toBe('HTTP');
    },
  },
  {
    id: 'semconv.no-protocol-name-for-http',
    title: 'network.protocol.name is absent for http, on the span and the duration metric',
    async run(t) {
      await t.request('/users/42');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.protocolVersion]).toBe('1.1');
      expect(span.attributes).not.toHaveProperty([ATTR.protocolName]);
      const [attributes] = await durationAttributes(t, 1);
      expect(attributes).not.toHaveProperty([ATTR.protocolName]);
    },
  },
  {
    id: 'attributes.network-peer',
    title: 'network.peer.address and network.peer.port are the client socket (recommended)',
    async run(t) {
      await t.request('/users/42');
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.peerAddress]).toBe('127.0.0.1');
      const port = span.attributes[ATTR.peerPort];
      expect(Number.isInteger(port)).toBe(true);
      expect(port).not.toBe(t.port);
    },
  },
  {
    id: 'synthetic.off-by-default',
    title: 'user_agent.synthetic.type is opt-in: absent for a bot without the option',
    async run(t) {
      await t.request('/users/42', { headers: { 'user-agent': GOOGLEBOT } });
      const span = await t.serverSpan();
      expect(span.attributes).not.toHaveProperty([ATTR.syntheticType]);
      const [attributes] = await durationAttributes(t, 1);
      expect(attributes).not.toHaveProperty([ATTR.syntheticType]);
    },
  },
  {
    id: 'synthetic.built-in',
    title: 'syntheticType: true: bot on span and duration, not on active_requests',
    options: { syntheticType: true },
    async run(t) {
      await t.request('/users/42', { headers: { 'user-agent': GOOGLEBOT } });
      await t.request('/users/43');
      const spans = await t.serverSpans(2);
      expect(spans.map((span) => span.attributes[ATTR.syntheticType]).sort()).toEqual([
        'bot',
        undefined,
      ]);
      const points = await durationAttributes(t, 2);
      expect(points.map((attributes) => attributes[ATTR.syntheticType]).sort()).toEqual([
        'bot',
        undefined,
      ]);
      for (const point of sumPoints(await t.telemetry.collect(), METRIC.activeRequests)) {
        expect(point.attributes).not.toHaveProperty([ATTR.syntheticType]);
      }
    },
  },
  {
    id: 'synthetic.custom',
    title: "a syntheticType function's value is on span and duration",
    options: {
      syntheticType: (request) =>
        request.header('x-synthetic') === undefined ? undefined : 'test',
    },
    async run(t) {
      await t.request('/users/42', { headers: { 'x-synthetic': '1' } });
      const span = await t.serverSpan();
      expect(span.attributes[ATTR.syntheticType]).toBe('test');
      const [attributes] = await durationAttributes(t, 1);
      expect(attributes?.[ATTR.syntheticType]).toBe('test');
    },
  },
  {
    id: 'exception.signal-logs',
    title: "exceptionSignal 'logs': a http.server.request.exception record at ERROR, no span event",
    options: { exceptionSignal: 'logs', loggerProvider: recordingLoggerProvider },
    async run(t) {
      emitted.length = 0;
      const { span, events, records } = await boomExceptions(t);
      expect(events).toEqual([]);
      expect(span.attributes[ATTR.errorType]).toBe('BoomError');
      expect(records).toHaveLength(1);
      const [record] = records;
      expect(record?.eventName).toBe(SERVER_EXCEPTION_EVENT);
      expect(record?.severityNumber).toBe(SEVERITY_ERROR);
      expect(record?.attributes?.[ATTR.exceptionType]).toBe('BoomError');
      const recordSpan = record?.context && trace.getSpanContext(record.context);
      expect(recordSpan?.spanId).toBe(span.spanContext().spanId);
      expect(recordSpan?.traceId).toBe(span.spanContext().traceId);
    },
  },
  {
    id: 'exception.signal-logs-dup',
    title: "exceptionSignal 'logs/dup': one exception span event and one log record",
    options: { exceptionSignal: 'logs/dup', loggerProvider: recordingLoggerProvider },
    async run(t) {
      emitted.length = 0;
      const { events, records } = await boomExceptions(t);
      expect(events).toHaveLength(1);
      expect(records.map((record) => record.eventName)).toEqual([SERVER_EXCEPTION_EVENT]);
    },
  },
  {
    id: 'exception.signal-span-default',
    title: 'by default an exception is a span event and no log record',
    options: { loggerProvider: recordingLoggerProvider },
    async run(t) {
      emitted.length = 0;
      const { events, records } = await boomExceptions(t);
      expect(events).toHaveLength(1);
      expect(records).toEqual([]);
    },
  },
];
