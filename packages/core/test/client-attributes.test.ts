import { describe, expect, it } from 'vitest';
import {
  clientErrorType,
  fetchWireMethod,
  redactedFullUrl,
  serverAddressOf,
  serverPortOf,
} from '../src/client/attributes.js';
import { DEFAULT_REDACTED_QUERY_PARAMS } from '../src/semconv.js';

const defaults = new Set(DEFAULT_REDACTED_QUERY_PARAMS);

describe('redactedFullUrl', () => {
  it.each([
    ['http://example.com/a?b=1', 'http://example.com/a?b=1'],
    ['https://user:secret@example.com/a', 'https://REDACTED:REDACTED@example.com/a'],
    ['https://user@example.com/', 'https://REDACTED:REDACTED@example.com/'],
    [
      'https://s3.example.com/o?X-Amz-Signature=abc&X-Amz-Credential=key&part=2',
      'https://s3.example.com/o?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&part=2',
    ],
    ['http://h:8080/p?sig=x%20y&SIG=kept', 'http://h:8080/p?sig=REDACTED&SIG=kept'],
    ['http://u:p@h/p?sig=1#frag', 'http://REDACTED:REDACTED@h/p?sig=REDACTED#frag'],
    ['http://h/p?', 'http://h/p?'],
    ['http://[::1]:9000/x?AWSAccessKeyId=A', 'http://[::1]:9000/x?AWSAccessKeyId=REDACTED'],
  ])('%s → %s', (input, expected) => {
    expect(redactedFullUrl(new URL(input), defaults)).toBe(expected);
  });

  it('redacts extra parameters when asked', () => {
    const keys = new Set([...DEFAULT_REDACTED_QUERY_PARAMS, 'token']);
    expect(redactedFullUrl(new URL('http://h/?token=t&x=1'), keys)).toBe(
      'http://h/?token=REDACTED&x=1',
    );
  });
});

describe('server address and port', () => {
  it.each([
    ['http://example.com/', 'example.com', 80],
    ['https://example.com/', 'example.com', 443],
    ['http://example.com:8080/', 'example.com', 8080],
    ['https://[2001:db8::1]:8443/', '2001:db8::1', 8443],
    ['http://127.0.0.1:3000', '127.0.0.1', 3000],
  ])('%s', (input, address, port) => {
    const url = new URL(input);
    expect(serverAddressOf(url)).toBe(address);
    expect(serverPortOf(url)).toBe(port);
  });
});

describe('fetchWireMethod', () => {
  it.each([
    ['get', 'GET'],
    ['Post', 'POST'],
    ['delete', 'DELETE'],
    ['PATCH', 'PATCH'],
    ['patch', 'patch'],
    ['PURGE', 'PURGE'],
  ])('%s is sent as %s', (given, sent) => {
    expect(fetchWireMethod(given)).toBe(sent);
  });
});

describe('clientErrorType', () => {
  class CustomError extends Error {}
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  it.each([
    [
      'fetch failed with a coded cause',
      new TypeError('fetch failed', { cause: refused }),
      'ECONNREFUSED',
    ],
    ['a coded error', refused, 'ECONNREFUSED'],
    ['an undici code', Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }), 'UND_ERR_SOCKET'],
    ['an abort', new DOMException('aborted', 'AbortError'), 'AbortError'],
    ['a timeout', new DOMException('timed out', 'TimeoutError'), 'TimeoutError'],
    [
      'a high-cardinality code',
      Object.assign(new Error('x'), { code: 'request 1234 failed' }),
      'Error',
    ],
    ['a class', new CustomError('x'), 'CustomError'],
    ['a string', 'boom', '_OTHER'],
    ['null', null, '_OTHER'],
  ])('%s', (_name, error, expected) => {
    expect(clientErrorType(error)).toBe(expected);
  });

  it('survives a hostile getter', () => {
    const hostile = Object.defineProperty(new Error('x'), 'code', {
      get() {
        throw new Error('no');
      },
    });
    expect(clientErrorType(hostile)).toBe('Error');
  });
});
