import { get as httpGet } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OtelHttpOptions, RequestInfo } from '../src/index.js';
import { syntheticTypeOf } from '../src/request-attributes.js';
import { createTelemetry, registerGlobals, startServer } from './harness.js';

let restoreGlobals: () => void;
beforeAll(() => {
  restoreGlobals = registerGlobals();
});
afterAll(() => restoreGlobals());

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

const withAgent = (userAgent: string | undefined): RequestInfo => ({
  method: 'GET',
  scheme: 'http',
  path: '/',
  query: undefined,
  header: (name) => (name === 'user-agent' ? userAgent : undefined),
});

describe('the built-in user_agent.synthetic.type classifier', () => {
  it.each([
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'bot'],
    ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'bot'],
    ['Mozilla/5.0 (compatible; Baiduspider/2.0)', 'bot'],
    ['facebookexternalhit/1.1', 'bot'],
    ['Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)', 'test'],
    ['Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)', 'test'],
    ['Datadog/Synthetics', 'test'],
    ['k6/0.49.0 (https://k6.io/)', 'test'],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36',
      'test',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36',
      undefined,
    ],
    ['curl/8.5.0', undefined],
    ['Bottle/0.12', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %s', (userAgent, expected) => {
    expect(syntheticTypeOf(withAgent(userAgent))).toBe(expected);
  });
});

function get(url: string, userAgent: string): Promise<void> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false, headers: { 'user-agent': userAgent } }, (res) =>
      res.resume().on('end', resolve),
    ).on('error', reject);
  });
}

async function serveWith(options: OtelHttpOptions) {
  const t = createTelemetry();
  const server = await startServer({ ...t, ...options }, (_req, res) => void res.end('ok'));
  closers.push(server.close);
  return { t, server };
}

describe('syntheticType on a real server', () => {
  it('is off by default: neither span nor metric carries it', async () => {
    const { t, server } = await serveWith({});
    await get(`${server.url}/x`, 'Googlebot/2.1');
    const [span] = await t.waitForSpans(1);
    expect(span?.attributes).not.toHaveProperty(['user_agent.synthetic.type']);
    const [point] = await t.histogramPoints('http.server.request.duration');
    expect(point?.attributes).not.toHaveProperty(['user_agent.synthetic.type']);
  });

  it('true: on the span (at start) and the duration metric, not on active_requests', async () => {
    const { t, server } = await serveWith({
      syntheticType: true,
      metrics: { requestBodySize: true },
    });
    await get(`${server.url}/x`, 'Googlebot/2.1');
    await get(`${server.url}/x`, 'Mozilla/5.0 Firefox/120.0');
    const spans = await t.waitForSpans(2);
    expect(spans.map((span) => span.attributes['user_agent.synthetic.type'])).toEqual([
      'bot',
      undefined,
    ]);
    const points = await t.histogramPoints('http.server.request.duration');
    expect(points.map((point) => point.attributes['user_agent.synthetic.type']).sort()).toEqual([
      'bot',
      undefined,
    ]);
    const active = await t.metric('http.server.active_requests');
    for (const point of active?.dataPoints ?? []) {
      expect(point.attributes).not.toHaveProperty(['user_agent.synthetic.type']);
    }
  });

  it('a function of your own: its value, cut to 32 characters; a throw or a non-string is none', async () => {
    const { t, server } = await serveWith({
      syntheticType: (request) => {
        const agent = String(request.header('user-agent'));
        if (agent === 'throws') throw new Error('classifier failed');
        if (agent === 'number') return 42 as unknown as string;
        return agent === 'long' ? 'x'.repeat(100) : 'test';
      },
    });
    await get(`${server.url}/a`, 'mine');
    await get(`${server.url}/b`, 'long');
    await get(`${server.url}/c`, 'throws');
    await get(`${server.url}/d`, 'number');
    const spans = await t.waitForSpans(4);
    const byPath = Object.fromEntries(
      spans.map((span) => [
        span.attributes['url.path'],
        span.attributes['user_agent.synthetic.type'],
      ]),
    );
    expect(byPath).toEqual({
      '/a': 'test',
      '/b': 'x'.repeat(32),
      '/c': undefined,
      '/d': undefined,
    });
  });
});
