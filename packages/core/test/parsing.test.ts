import { describe, expect, it } from 'vitest';
import { firstListEntry, forwardedNodeAddress, parsePort, protocolVersionOf } from '../src/http.js';
import { errorType, parseForwarded, parseHost, redactQuery, splitTarget } from '../src/index.js';
import { DEFAULT_REDACTED_QUERY_PARAMS } from '../src/semconv.js';

describe('splitTarget', () => {
  it.each([
    ['/', '/', undefined],
    ['', '/', undefined],
    ['/a/b', '/a/b', undefined],
    ['/a?x=1', '/a', 'x=1'],
    ['/a?', '/a', ''],
    ['/a?x=1#frag', '/a', 'x=1'],
    ['/a#frag?x', '/a', undefined],
    ['?x=1', '/', 'x=1'],
    ['*', '*', undefined],
    ['http://example.com/p?q=1', '/p', 'q=1'],
    ['http://example.com', '/', undefined],
    ['http://example.com?q=1', '/', 'q=1'],
    ['/a??b', '/a', '?b'],
  ])('%j → path %j, query %j', (target, path, query) => {
    expect(splitTarget(target)).toEqual({ path, query });
  });
});

describe('parseHost', () => {
  it.each([
    ['example.com', { address: 'example.com' }],
    ['example.com:8080', { address: 'example.com', port: 8080 }],
    ['  example.com  ', { address: 'example.com' }],
    ['127.0.0.1:3000', { address: '127.0.0.1', port: 3000 }],
    ['[::1]:8080', { address: '::1', port: 8080 }],
    ['[2001:db8::1]', { address: '2001:db8::1' }],
    ['example.com:', undefined],
    ['example.com:99999', undefined],
    ['example.com:80a', undefined],
    ['[::1', undefined],
    ['[::1]x', undefined],
    ['', undefined],
    ['exa mple.com', undefined],
    ['evil.com/<script>', undefined],
    ['é.example', undefined],
    ['a'.repeat(300), undefined],
    [undefined, undefined],
    // one port only, and never port 0
    ['host.example:80:81', undefined],
    ['host.example:80:', undefined],
    ['host.example:0', undefined],
    ['[::1]:0', undefined],
    // bare IPv6 (X-Forwarded-For style) only when it is an IPv6 address
    ['2001:db8::1', { address: '2001:db8::1' }],
    ['::1', { address: '::1' }],
    ['::ffff:192.0.2.1', { address: '::ffff:192.0.2.1' }],
    ['1:2:3:4:5:6:7:8', { address: '1:2:3:4:5:6:7:8' }],
    ['1:2:3:4:5:6:7', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1::2::3', undefined],
    ['abcde::1', undefined],
    ['a:80:81', undefined],
    ['[example.com]', undefined],
    ['[fe80::1%eth0]:8080', { address: 'fe80::1%eth0', port: 8080 }],
    ['[fe80::1%]', undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseHost(value)).toEqual(expected);
  });
});

describe('parseForwarded and friends', () => {
  it.each([
    ['for=192.0.2.60;proto=http;by=203.0.113.43', { for: '192.0.2.60', proto: 'http' }],
    ['For="[2001:db8:cafe::17]:4711"', { for: '[2001:db8:cafe::17]:4711' }],
    ['for=192.0.2.43, for=198.51.100.17', { for: '192.0.2.43' }],
    ['host=shop.example;proto=https', { host: 'shop.example', proto: 'https' }],
    ['garbage', undefined],
    ['for=', undefined],
    ['', undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseForwarded(value)).toEqual(expected);
  });

  it.each([
    ['192.0.2.60', '192.0.2.60'],
    ['"[2001:db8:cafe::17]:4711"'.replaceAll('"', ''), '2001:db8:cafe::17'],
    ['unknown', undefined],
    ['_hidden', undefined],
    ['<script>', undefined],
  ])('forwarded node %j → %j', (node, expected) => {
    expect(forwardedNodeAddress(node)).toBe(expected);
  });

  it('takes the first list entry', () => {
    expect(firstListEntry(' 203.0.113.9 , 10.0.0.1')).toBe('203.0.113.9');
    expect(firstListEntry(' , x')).toBeUndefined();
  });

  it.each([
    ['80', 80],
    ['0', undefined],
    ['00000', undefined],
    ['1', 1],
    ['65535', 65535],
    ['65536', undefined],
    ['-1', undefined],
    ['1e3', undefined],
    ['', undefined],
    ['123456', undefined],
  ])('port %j → %j', (text, expected) => {
    expect(parsePort(text)).toBe(expected);
  });

  it.each([
    ['1.0', '1.0'],
    ['1.1', '1.1'],
    ['2.0', '2'],
    ['3', '3'],
    ['0.9', undefined],
  ])('protocol %j → %j', (version, expected) => {
    expect(protocolVersionOf(version)).toBe(expected);
  });
});

describe('redactQuery', () => {
  const keys = new Set(DEFAULT_REDACTED_QUERY_PARAMS);
  it.each([
    ['x=1', 'x=1'],
    ['sig=abc', 'sig=REDACTED'],
    ['sig=abc&x=1', 'sig=REDACTED&x=1'],
    ['x=1&sig=abc', 'x=1&sig=REDACTED'],
    ['x=1&sig=abc&y=2&Signature=zz', 'x=1&sig=REDACTED&y=2&Signature=REDACTED'],
    ['SIG=abc', 'SIG=abc'],
    ['%73ig=abc', '%73ig=REDACTED'],
    ['sig', 'sig'],
    ['sig=', 'sig=REDACTED'],
    [
      'X-Amz-Credential=a%2Fb&X-Amz-Signature=f00',
      'X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED',
    ],
    ['a=1&&sig=2&', 'a=1&&sig=REDACTED&'],
    ['%E0%A4%A=1&sig=2', '%E0%A4%A=1&sig=REDACTED'],
    ['', ''],
  ])('%j → %j', (query, expected) => {
    expect(redactQuery(query, keys)).toBe(expected);
  });

  it('is linear in the number of pairs: a pair without `=` does not search the rest again', () => {
    // 100,000 keys without a value, then one to redact: quadratic work here would be ~5e9 steps
    const query = `${'k&'.repeat(100_000)}sig=secret`;
    const redacted = redactQuery(query, keys);
    expect(redacted.endsWith('&sig=REDACTED')).toBe(true);
    expect(redacted).toHaveLength(query.length - 'secret'.length + 'REDACTED'.length);
    expect(redactQuery('a&b&c=1&d&sig=2&e', keys)).toBe('a&b&c=1&d&sig=REDACTED&e');
    expect(redactQuery('a&b&sig&c=1', keys)).toBe('a&b&sig&c=1');
  });

  it('returns the input unchanged when there is nothing to redact', () => {
    const query = 'a=1&b=2';
    expect(redactQuery(query, keys)).toBe(query);
    expect(redactQuery('sig=1', new Set())).toBe('sig=1');
  });
});

describe('errorType', () => {
  class BoomError extends Error {}
  const named = new Error('x');
  named.name = 'ValidationError';
  it.each([
    ['an Error', new Error('x'), 'Error'],
    ['a subclass', new BoomError('x'), 'BoomError'],
    ['a built-in', new TypeError('x'), 'TypeError'],
    ['an Error with a specific name', named, 'ValidationError'],
    ['a string', 'oops', '_OTHER'],
    ['undefined', undefined, '_OTHER'],
    ['null', null, '_OTHER'],
    ['a plain object', { message: 'x' }, '_OTHER'],
    ['a null-prototype object', Object.create(null), '_OTHER'],
    ['a huge class name', new (class extends Error {})(), expect.any(String)],
  ])('%s → %s', (_label, error, expected) => {
    expect(errorType(error)).toEqual(expected);
  });

  it('survives a throwing constructor getter', () => {
    const hostile = {
      get constructor(): never {
        throw new Error('getter');
      },
    };
    expect(errorType(hostile)).toBe('_OTHER');
  });

  it('cuts absurdly long names', () => {
    const error = new Error('x');
    Object.defineProperty(error, 'constructor', { value: { name: 'E'.repeat(10_000) } });
    expect(errorType(error)).toHaveLength(128);
  });
});
