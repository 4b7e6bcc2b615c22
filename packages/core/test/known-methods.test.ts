import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { DEFAULT_KNOWN_METHODS } from '../src/index.js';
import { normalizeMethod } from '../src/request-attributes.js';
import { createTelemetry, registerGlobals, startServer } from './harness.js';

let restoreGlobals: () => void;
beforeAll(() => {
  restoreGlobals = registerGlobals();
});
afterAll(() => restoreGlobals());

const saved = process.env.OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
  if (saved === undefined) delete process.env.OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS;
  else process.env.OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS = saved;
});

function send(url: string, method: string): Promise<void> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { method, agent: false }, (res) => res.resume().on('end', resolve))
      .on('error', reject)
      .end('{"q":1}');
  });
}

describe('known methods', () => {
  it('QUERY is known by default, matched case-sensitively', () => {
    expect(DEFAULT_KNOWN_METHODS).toContain('QUERY');
    const known = resolveConfig({}).knownMethods;
    expect(normalizeMethod('QUERY', known)).toEqual({ method: 'QUERY', original: undefined });
    expect(normalizeMethod('query', known)).toEqual({ method: '_OTHER', original: 'query' });
  });

  it.each([
    ['GET,POST', 'QUERY', '_OTHER'],
    ['GET,QUERY', 'QUERY', 'QUERY'],
    ['PURGE', 'GET', '_OTHER'],
  ])(
    'OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS=%s replaces the list: %s → %s',
    (env, method, expected) => {
      process.env.OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS = env;
      expect(normalizeMethod(method, resolveConfig({}).knownMethods).method).toBe(expected);
    },
  );

  it('a QUERY request gets a span named QUERY with http.request.method QUERY', async () => {
    const t = createTelemetry();
    const server = await startServer(t, (_req, res) => void res.end('ok'));
    closers.push(server.close);
    await send(`${server.url}/search`, 'QUERY');
    const [span] = await t.waitForSpans(1);
    expect(span?.name).toBe('QUERY');
    expect(span?.attributes['http.request.method']).toBe('QUERY');
    expect(span?.attributes).not.toHaveProperty(['http.request.method_original']);
  });

  it('with the variable set, QUERY outside the list is _OTHER on a real server', async () => {
    process.env.OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS = 'GET,POST';
    const t = createTelemetry();
    const server = await startServer(t, (_req, res) => void res.end('ok'));
    closers.push(server.close);
    await send(`${server.url}/search`, 'QUERY');
    const [span] = await t.waitForSpans(1);
    expect(span?.name).toBe('HTTP');
    expect(span?.attributes['http.request.method']).toBe('_OTHER');
    expect(span?.attributes['http.request.method_original']).toBe('QUERY');
  });
});
