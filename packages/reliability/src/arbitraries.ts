/**
 * fast-check generators for hostile request parts: mostly-valid values with one thing wrong,
 * pieces that parsers split on, and plain noise, at lengths up to tens of kilobytes.
 */
import fc from 'fast-check';
import { PARENT_ID, TRACE_ID } from './corpus.js';

/** The seed every property run uses unless `FUZZ_SEED` says otherwise, so runs replay. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_240_917);

/** Bytes Node's HTTP parser accepts inside a header value (HTAB, visible ASCII, obs-text). */
const headerByte = fc
  .oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
    { weight: 1, arbitrary: fc.constant(0x09) },
  )
  .map((code) => String.fromCharCode(code));

/** Any string Node accepts as a header value, up to `maxLength` bytes. */
export const headerNoise = (maxLength = 200) => fc.string({ unit: headerByte, maxLength });

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const hexish = (length: number) =>
  fc.oneof(
    hex(length),
    fc.string({
      unit: fc.constantFrom(...'0123456789abcdefABCDEFgz- '),
      minLength: length - 1,
      maxLength: length + 1,
    }),
    fc.constant('0'.repeat(length)),
  );

/** `traceparent` values: well-formed ones, near-misses field by field, and noise. */
export const traceparent: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.constantFrom('00', '01', 'cc', 'ff'), hex(32), hex(16), hex(2))
    .map(([version, traceId, parentId, flags]) => `${version}-${traceId}-${parentId}-${flags}`),
  fc
    .tuple(hexish(2), hexish(32), hexish(16), hexish(2), fc.option(headerNoise(20), { nil: '' }))
    .map(
      ([version, traceId, parentId, flags, rest]) =>
        `${version}-${traceId}-${parentId}-${flags}${rest}`,
    ),
  fc
    .tuple(fc.constantFrom(`00-${TRACE_ID}-${PARENT_ID}-01`), fc.nat({ max: 60 }), headerNoise(3))
    .map(([valid, at, insert]) => valid.slice(0, at) + insert + valid.slice(at)),
  headerNoise(120),
);

const keyChar = fc.constantFrom(...'abcxyz0189_-*/@=AZ é,; '.split(''));
/** One `tracestate` member: often valid, often not. */
const traceStateMember = fc.oneof(
  fc
    .tuple(
      fc.stringMatching(/^[a-z][a-z0-9_\-*/]{0,10}$/),
      fc.stringMatching(/^[!-+\--<>-~]{1,12}$/),
    )
    .map(([k, v]) => `${k}=${v}`),
  fc
    .tuple(fc.string({ unit: keyChar, maxLength: 12 }), headerNoise(16))
    .map(([k, v]) => `${k}=${v}`),
  headerNoise(24),
);
/** `tracestate` values: lists of 0–60 members, sometimes padded to kilobytes. */
export const tracestate: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(traceStateMember, { maxLength: 60 }).map((members) => members.join(',')),
  },
  { weight: 1, arbitrary: fc.nat({ max: 12_000 }).map((n) => `k=${'v'.repeat(n)}`) },
);

/** One `baggage` list member, with properties and percent-encoding sometimes broken. */
const baggageMember = fc.oneof(
  fc
    .tuple(
      fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/),
      fc.string({ maxLength: 16 }),
      fc.option(fc.constant(';p=1'), { nil: '' }),
    )
    .map(([k, v, props]) => `${k}=${encodeURIComponent(v)}${props}`),
  fc
    .tuple(
      fc.string({ unit: keyChar, maxLength: 10 }),
      fc.string({ unit: fc.constantFrom(...'%0AfG=;, é'.split('')), maxLength: 10 }),
    )
    .map(([k, v]) => `${k}=${v}`),
  headerNoise(30),
);
/** `baggage` values: up to 300 members, or one oversized entry. */
export const baggage: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(baggageMember, { maxLength: 300 }).map((members) => members.join(',')),
  },
  { weight: 1, arbitrary: fc.nat({ max: 12_000 }).map((n) => `big=${'v'.repeat(n)}`) },
);

const hostPiece = fc.constantFrom(
  'example.com',
  'a',
  '127.0.0.1',
  '[::1]',
  '[2001:db8::1]',
  '[',
  ']',
  ':',
  '::',
  '.',
  '-',
  '_',
  '%25eth0',
  '8080',
  '0',
  '65535',
  '65536',
  '99999',
  'é',
  ' ',
  '\t',
  'xn--bcher-kva',
  '*',
  '"',
  '@',
);
/** `Host` / `X-Forwarded-Host` values. */
export const host: fc.Arbitrary<string> = fc.oneof(
  fc.array(hostPiece, { maxLength: 8 }).map((pieces) => pieces.join('')),
  fc.nat({ max: 400 }).map((n) => `${'h'.repeat(n)}:80`),
  headerNoise(40),
);

const forwardedPair = fc
  .tuple(
    fc.constantFrom('for', 'host', 'proto', 'by', 'FOR', 'Host', ''),
    fc.oneof(
      fc.constantFrom(
        '192.0.2.60',
        '"[2001:db8:cafe::17]:4711"',
        'unknown',
        '_hidden',
        'https',
        'http',
        'gopher',
        '""',
        '"',
        'example.com:8443',
      ),
      headerNoise(12),
    ),
  )
  .map(([key, value]) => `${key}=${value}`);
/** `Forwarded` values (RFC 7239): elements of `;`-separated pairs, `,`-separated. */
export const forwarded: fc.Arbitrary<string> = fc.oneof(
  fc
    .array(
      fc.array(forwardedPair, { maxLength: 4 }).map((pairs) => pairs.join(';')),
      { maxLength: 3 },
    )
    .map((e) => e.join(', ')),
  headerNoise(60),
);

/** Request-target paths and queries the frameworks route on: URL-safe ASCII only. */
const queryChar = fc.constantFrom(..."abcXYZ019=&%+;,._~-!$'()*:@/?".split(''));
export const query: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: queryChar, maxLength: 80 }),
  fc
    .tuple(
      fc.constantFrom('sig', 'Signature', 'X-Amz-Signature', '%73ig', 'SIG', 'a'),
      fc.stringMatching(/^[A-Za-z0-9]{0,20}$/),
    )
    .map(([k, v]) => `${k}=${v}&x=1`),
);

/** One header, repeated 1–3 times (Node joins repeats with `, `). */
export const repeated = (value: fc.Arbitrary<string>) =>
  fc.array(value, { minLength: 1, maxLength: 3 });

/** A whole hostile request for `GET /users/:id`. */
export interface FuzzRequest {
  id: string;
  query: string | undefined;
  headers: Array<[string, string]>;
}

export const fuzzRequest: fc.Arbitrary<Omit<FuzzRequest, 'id'>> = fc
  .record(
    {
      query: fc.option(query, { nil: undefined }),
      traceparent: repeated(traceparent),
      tracestate: repeated(tracestate),
      baggage: repeated(baggage),
      host: host,
      forwarded: repeated(forwarded),
      xForwardedFor: headerNoise(60),
      xForwardedHost: host,
      xForwardedProto: fc.oneof(
        fc.constantFrom('https', 'http', 'HTTPS', 'https, http', 'ws'),
        headerNoise(10),
      ),
      userAgent: fc.oneof(
        headerNoise(200),
        fc.nat({ max: 8_000 }).map((n) => 'u'.repeat(n)),
      ),
    },
    { requiredKeys: ['host'] },
  )
  .map((r) => {
    const headers: Array<[string, string]> = [['host', r.host]];
    for (const v of r.traceparent ?? []) headers.push(['traceparent', v]);
    for (const v of r.tracestate ?? []) headers.push(['tracestate', v]);
    for (const v of r.baggage ?? []) headers.push(['baggage', v]);
    for (const v of r.forwarded ?? []) headers.push(['forwarded', v]);
    if (r.xForwardedFor !== undefined) headers.push(['x-forwarded-for', r.xForwardedFor]);
    if (r.xForwardedHost !== undefined) headers.push(['x-forwarded-host', r.xForwardedHost]);
    if (r.xForwardedProto !== undefined) headers.push(['x-forwarded-proto', r.xForwardedProto]);
    if (r.userAgent !== undefined) headers.push(['user-agent', r.userAgent]);
    return { query: r.query, headers };
  });
