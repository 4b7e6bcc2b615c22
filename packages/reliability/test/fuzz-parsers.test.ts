import {
  DEFAULT_KNOWN_METHODS,
  DEFAULT_REDACTED_QUERY_PARAMS,
  errorType,
  normalizeMethod,
  parseForwarded,
  parseHost,
  redactQuery,
  splitTarget,
} from '@otel-http/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_SEED, forwarded, headerNoise, host, query } from '../src/arbitraries.js';

/** Seeded and bounded: every property replays with FUZZ_SEED. */
const params = { seed: FUZZ_SEED, numRuns: 2_000 } as const;

/** Anything a header or a request target may hold, from plain noise to full Unicode and 64 KB. */
const anyText = fc.oneof(
  headerNoise(300),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.nat({ max: 70_000 }).map((n) => ':'.repeat(n % 3) + 'a'.repeat(n)),
);

const HOST_TEXT = /^[A-Za-z0-9.:_%-]{1,255}$/;

describe('parseHost', () => {
  it('never throws; returns a plausible host and a port in 1–65535, or nothing', () => {
    fc.assert(
      fc.property(fc.oneof(host, anyText), (value) => {
        const parsed = parseHost(value);
        if (parsed === undefined) return;
        expect(parsed.address).toMatch(HOST_TEXT);
        if (parsed.port !== undefined) {
          expect(Number.isInteger(parsed.port) && parsed.port >= 1 && parsed.port <= 65535).toBe(
            true,
          );
        }
      }),
      params,
    );
  });

  it('reads back what it is given for well-formed hosts', () => {
    const name = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}$/);
    fc.assert(
      fc.property(
        name,
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        (address, port) => {
          expect(parseHost(port === undefined ? address : `${address}:${port}`)).toEqual(
            port === undefined ? { address } : { address, port },
          );
        },
      ),
      params,
    );
  });
});

describe('parseForwarded', () => {
  it('never throws; returns only for/host/proto, non-empty, from the first element', () => {
    fc.assert(
      fc.property(fc.oneof(forwarded, anyText), (value) => {
        const parsed = parseForwarded(value);
        if (parsed === undefined) return;
        for (const [key, text] of Object.entries(parsed)) {
          expect(['for', 'host', 'proto']).toContain(key);
          expect(typeof text === 'string' && text.length > 0).toBe(true);
          expect(text).not.toContain(',');
          expect(text).not.toContain(';');
        }
      }),
      params,
    );
  });
});

describe('splitTarget', () => {
  const target = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('/', '', 'http://h', 'https://user:pw@h:1', '*', '//'),
        fc.oneof(query, anyText),
      )
      .map(([a, b]) => a + b),
    anyText,
  );

  it('never throws; the path never holds the query, the query never holds the fragment', () => {
    fc.assert(
      fc.property(target, (value) => {
        const { path, query: q } = splitTarget(value);
        expect(path.length).toBeGreaterThan(0);
        expect(path).not.toContain('?');
        expect(path).not.toContain('#');
        if (q !== undefined) expect(q).not.toContain('#');
        // Userinfo of an absolute-form target never reaches the path.
        if (/^[a-z]+:\/\/[^/?#]*@/.test(value)) expect(path).not.toContain('@h');
      }),
      params,
    );
  });

  it('splits an origin-form target losslessly', () => {
    const origin = fc.tuple(
      fc.stringMatching(/^\/[^?#]{0,40}$/),
      fc.option(fc.stringMatching(/^[^#]{0,40}$/), { nil: undefined }),
    );
    fc.assert(
      fc.property(origin, ([path, q]) => {
        expect(splitTarget(q === undefined ? path : `${path}?${q}`)).toEqual({ path, query: q });
      }),
      params,
    );
  });
});

describe('redactQuery', () => {
  const keys = new Set(DEFAULT_REDACTED_QUERY_PARAMS);
  const decode = (key: string) => {
    try {
      return decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      return key;
    }
  };
  const secret = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/);
  const pair = fc.oneof(
    fc
      .tuple(
        fc.constantFrom(
          ...DEFAULT_REDACTED_QUERY_PARAMS,
          '%73ig',
          'Si%67nature',
          'sig+',
          'SIG',
          'sig2',
          '',
        ),
        secret,
      )
      .map(([k, v]) => `${k}=${v}`),
    fc.string({ unit: fc.constantFrom(...'ab=%+;,1'.split('')), maxLength: 10 }),
  );
  const queryOfPairs = fc.array(pair, { maxLength: 12 }).map((pairs) => pairs.join('&'));

  it('never throws; replaces exactly the values of listed keys and keeps everything else', () => {
    fc.assert(
      fc.property(fc.oneof(queryOfPairs, anyText), (q) => {
        const out = redactQuery(q, keys);
        const before = q.split('&');
        const after = out.split('&');
        expect(after).toHaveLength(before.length);
        before.forEach((p, i) => {
          const eq = p.indexOf('=');
          const redacted = eq !== -1 && keys.has(decode(p.slice(0, eq)));
          expect(after[i]).toBe(redacted ? `${p.slice(0, eq)}=REDACTED` : p);
        });
      }),
      params,
    );
  });

  it('leaves no secret of a listed key in the output', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DEFAULT_REDACTED_QUERY_PARAMS),
        secret,
        queryOfPairs,
        (key, value, rest) => {
          expect(redactQuery(`${rest}&${key}=${value}&${rest}`, keys)).not.toContain(value);
        },
      ),
      params,
    );
  });

  it('returns the input when no key is listed', () => {
    fc.assert(
      fc.property(anyText, (q) => {
        expect(redactQuery(q, new Set())).toBe(q);
      }),
      params,
    );
  });
});

describe('errorType', () => {
  /**
   * Values whose every property access throws, and other things a handler may throw. Made fresh
   * per run (fast-check itself cannot inspect a revoked proxy held as a constant).
   */
  const trap = () => {
    throw new Error('trap');
  };
  const makers: Array<() => unknown> = [
    () => new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap }),
    () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    },
    () => Object.create(null),
    () => Object.defineProperty(new Error('x'), 'name', { get: trap }),
    () => ({
      constructor: {
        get name() {
          return trap();
        },
      },
    }),
    () => ({ constructor: { name: 'x'.repeat(1_000_000) } }),
    () => ({ constructor: { name: 42 } }),
    () => ({ name: 'NotAnError' }),
    () => Object.assign(new Error('named'), { name: '' }),
    () => new (class extends Error {})('anonymous class'),
    () => new (class VeryLongNamedError extends TypeError {})('subclass'),
    () => Symbol('thrown'),
    () => () => undefined,
    () => 10n,
  ];
  const expectShortName = (value: unknown) => {
    const type = errorType(value);
    expect(typeof type).toBe('string');
    expect(type.length).toBeGreaterThan(0);
    expect(type.length).toBeLessThanOrEqual(128);
  };

  it('never throws and always gives a short, non-empty name', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true }), expectShortName),
      params,
    );
  });

  it.each(makers.map((make, i) => [i, make] as const))(
    'contains hostile thrown value #%i',
    (_i, make) => {
      expectShortName(make());
    },
  );
});

describe('normalizeMethod', () => {
  it('never throws; the method is a known one or _OTHER, the original bounded', () => {
    const known = new Set(DEFAULT_KNOWN_METHODS);
    fc.assert(
      fc.property(
        fc.oneof(anyText, fc.constantFrom(...DEFAULT_KNOWN_METHODS, 'get', 'PROPFIND', 'M-SEARCH')),
        (method) => {
          const { method: normalized, original } = normalizeMethod(method, known);
          expect(known.has(normalized) || normalized === '_OTHER').toBe(true);
          if (normalized === '_OTHER') expect(original?.length ?? 0).toBeLessThanOrEqual(64);
          else expect(original).toBeUndefined();
        },
      ),
      params,
    );
  });
});
