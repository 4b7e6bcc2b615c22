import { describe, expect, it } from 'vitest';
import { MAX_OVERRIDE_LENGTH, overrideOr } from '../src/config.js';
import { oldMetricAttributes } from '../src/old-semconv.js';
import {
  failureOf,
  metricAttributes,
  responseHeaderAttributes,
  setEndSpanAttributes,
  spanNameOf,
  validSize,
  validStatus,
} from '../src/response-attributes.js';

class InventoryError extends Error {}

describe('failureOf: whether and how a request failed', () => {
  it.each([
    // aborted, status, error thrown, → error.type
    [false, 200, undefined, undefined],
    [false, 204, new TypeError('x'), undefined],
    [false, 302, undefined, undefined],
    [false, 400, new InventoryError('x'), undefined],
    [false, 404, undefined, undefined],
    [false, 499, undefined, undefined],
    [false, 500, undefined, '500'],
    [false, 503, undefined, '503'],
    [false, 500, new TypeError('x'), 'TypeError'],
    [false, 502, new InventoryError('x'), 'InventoryError'],
    [false, 500, 'a string', '_OTHER'],
    [false, undefined, undefined, '_OTHER'],
    [false, undefined, new RangeError('x'), 'RangeError'],
    [true, undefined, undefined, 'aborted'],
    [true, 200, undefined, 'aborted'],
    [true, 500, new TypeError('x'), 'aborted'],
  ] as const)('aborted=%s status=%s error=%s → %s', (aborted, status, error, expected) => {
    expect(failureOf(aborted, status, error !== undefined, error)).toBe(expected);
  });
});

describe('validStatus and validSize', () => {
  it.each([
    [200, 200],
    [100, 100],
    [999, 999],
    [99, undefined],
    [1000, undefined],
    [200.5, undefined],
    ['200', undefined],
    [Number.NaN, undefined],
    [undefined, undefined],
  ])('status %j → %j', (code, expected) => {
    expect(validStatus(code)).toBe(expected);
  });

  it.each([
    [0, 0],
    [1024, 1024],
    [-1, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    ['12', undefined],
    [undefined, undefined],
  ])('size %j → %j', (size, expected) => {
    expect(validSize(size)).toBe(expected);
  });
});

describe('metricAttributes', () => {
  const base = Object.freeze({ 'http.request.method': 'GET', 'url.scheme': 'http' });

  it('adds status, route, error.type and protocol version to method and scheme, in that order', () => {
    const attributes = metricAttributes(base, 500, '/users/:id', 'TypeError', '1.1');
    expect(Object.entries(attributes)).toEqual([
      ['http.request.method', 'GET'],
      ['url.scheme', 'http'],
      ['http.response.status_code', 500],
      ['http.route', '/users/:id'],
      ['error.type', 'TypeError'],
      ['network.protocol.version', '1.1'],
    ]);
  });

  it('leaves out what is unknown, and never changes the shared base', () => {
    expect(metricAttributes(base, undefined, undefined, 'aborted', undefined)).toEqual({
      ...base,
      'error.type': 'aborted',
    });
    expect(base).toEqual({ 'http.request.method': 'GET', 'url.scheme': 'http' });
  });

  it('old names for the old duration metric', () => {
    expect(oldMetricAttributes('GET', 'https', 200, '/a', '2')).toEqual({
      'http.method': 'GET',
      'http.scheme': 'https',
      'http.status_code': 200,
      'http.route': '/a',
      'http.flavor': '2',
    });
  });
});

describe('setEndSpanAttributes', () => {
  const stable = { emitOldSemconv: false, metrics: { responseBodySize: false } } as const;
  const dup = { emitOldSemconv: true, metrics: { responseBodySize: true } } as const;

  it.each([
    [stable, 200, '/a', undefined, 10, { 'http.response.status_code': 200, 'http.route': '/a' }],
    [stable, undefined, undefined, 'aborted', undefined, { 'error.type': 'aborted' }],
    [stable, 503, undefined, '503', 3, { 'http.response.status_code': 503, 'error.type': '503' }],
    [
      dup,
      200,
      '/a',
      undefined,
      10,
      {
        'http.response.status_code': 200,
        'http.status_code': 200,
        'http.route': '/a',
        'http.response.body.size': 10,
      },
    ],
    [
      dup,
      200,
      undefined,
      undefined,
      undefined,
      { 'http.response.status_code': 200, 'http.status_code': 200 },
    ],
  ] as const)(
    '%o status=%s route=%s failure=%s bytes=%s',
    (config, status, route, failure, bytes, expected) => {
      const set: Record<string, unknown> = {};
      const target = {
        setAttribute(key: string, value: unknown) {
          set[key] = value;
        },
      };
      setEndSpanAttributes(target, config as never, status, route, failure, bytes);
      expect(set).toEqual(expected);
      // in the order the span gets them
      expect(Object.keys(set)).toEqual(Object.keys(expected));
    },
  );
});

describe('responseHeaderAttributes', () => {
  const config = {
    captureResponseHeaders: ['x-served-by', 'set-cookie', 'x-missing', 'x-throws', 'x-count'],
    sensitiveHeaders: new Set(['set-cookie']),
  };
  it('records present headers as string arrays, redacts sensitive ones, survives a throwing read', () => {
    const headers: Record<string, string | string[] | number> = {
      'x-served-by': 'node-1',
      'set-cookie': ['a=1', 'b=2'],
      'x-count': 3,
    };
    const attributes = responseHeaderAttributes(config, (name) => {
      if (name === 'x-throws') throw new Error('getter');
      return headers[name];
    });
    expect(attributes).toEqual({
      'http.response.header.x-served-by': ['node-1'],
      'http.response.header.set-cookie': ['REDACTED'],
      'http.response.header.x-count': ['3'],
    });
  });
});

describe('span names and overrides', () => {
  it.each([
    ['GET', '/users/:id', 'GET /users/:id'],
    ['GET', undefined, 'GET'],
    ['_OTHER', '/x', 'HTTP /x'],
    ['_OTHER', undefined, 'HTTP'],
  ])('%s %s → %s', (method, route, expected) => {
    expect(spanNameOf(method, route)).toBe(expected);
  });

  it.each([
    ['/rpc/:procedure', '/matched', '/rpc/:procedure'],
    [undefined, '/matched', '/matched'],
    ['', '/matched', '/matched'],
    [42, '/matched', '/matched'],
    [null, undefined, undefined],
    ['r'.repeat(1000), undefined, 'r'.repeat(MAX_OVERRIDE_LENGTH)],
  ])('override %j over %j → %j', (chosen, fallback, expected) => {
    expect(overrideOr(chosen, fallback)).toBe(expected);
  });
});
