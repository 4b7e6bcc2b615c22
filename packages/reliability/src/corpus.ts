/**
 * A corpus of hostile and borderline `traceparent` / `tracestate` / `baggage` requests, each with
 * what a receiver following W3C Trace Context and Baggage (as `@opentelemetry/core`'s propagators
 * implement them) must make of it. Header values are byte strings (one character per byte, as
 * Node decodes header bytes), so non-ASCII cases carry their exact UTF-8 or Latin-1 bytes.
 */

/** A valid trace id and parent id to build cases from. */
export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const PARENT_ID = '00f067aa0ba902b7';

export interface HeaderCase {
  readonly id: string;
  /** Header lines exactly as sent (duplicates allowed). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The case needs Node's request-head limit raised above its 16 KiB default. */
  readonly large?: boolean;
  /**
   * Node's HTTP parser answers this itself, before any instrumentation runs: the status code.
   * Such requests never reach a handler and record nothing.
   */
  readonly rejectedByNode?: 400 | 431;
  /**
   * Where `@opentelemetry/core`'s propagators knowingly differ from the W3C text: the expectation
   * is then what they do, and this says what W3C says.
   */
  readonly deviation?: string;
  readonly expect: {
    /** Continue the caller's trace, or start a new one. */
    readonly trace: 'continue' | 'new';
    /** The server span's `tracestate`: exact serialization; `null` for none. Unchecked if absent. */
    readonly traceState?: string | null;
    /** The baggage the handler sees: exact entries, or only how many. Unchecked if absent. */
    readonly baggage?: Readonly<Record<string, string>> | { readonly count: number };
  };
}

const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const tp = (flags = '01', version = '00', traceId = TRACE_ID, parentId = PARENT_ID, rest = '') =>
  `${version}-${traceId}-${parentId}-${flags}${rest}`;
const VALID = tp();
const KB64 = 64 * 1024;

/** `k0=v0,k1=v1,…` with `count` members. */
const listOf = (count: number, member: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => member(i)).join(',');
const baggageRecord = (count: number, key: (i: number) => string, value: (i: number) => string) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [key(i), value(i)]));

const cases: HeaderCase[] = [];
const add = (
  id: string,
  headers: HeaderCase['headers'],
  expect: HeaderCase['expect'],
  extra: Partial<HeaderCase> = {},
) => cases.push({ id, headers, expect, ...extra });

// ---------------------------------------------------------------- traceparent: valid forms
for (const flags of ['00', '01', '02', '03', '04', '08', '09', '10', '7f', '80', 'fe', 'ff']) {
  add(`traceparent flags ${flags}`, [['traceparent', tp(flags)]], { trace: 'continue' });
}
add('header name in upper case', [['TRACEPARENT', VALID]], { trace: 'continue' });
add('header name in mixed case', [['TraceParent', VALID]], { trace: 'continue' });
add(
  'future version with more fields',
  [['traceparent', tp('01', 'cc', TRACE_ID, PARENT_ID, '-what-the-future-holds')]],
  { trace: 'continue' },
);
add('future version, no more fields', [['traceparent', tp('01', '01')]], { trace: 'continue' });
add('leading and trailing whitespace (removed by HTTP)', [['traceparent', `  ${VALID}\t`]], {
  trace: 'continue',
});
add(
  'future version carrying 64 KB',
  [['traceparent', tp('01', '01', TRACE_ID, PARENT_ID, `-${'x'.repeat(KB64)}`)]],
  { trace: 'continue' },
  { large: true },
);

// ---------------------------------------------------------------- traceparent: invalid forms
const badTraceparents: Array<[string, string]> = [
  ['version ff', tp('01', 'ff')],
  ['version 00 with a fifth field', tp('01', '00', TRACE_ID, PARENT_ID, '-extra')],
  ['version 00 with a trailing dash', `${VALID}-`],
  ['version one digit', tp('01', '0')],
  ['version three digits', tp('01', '000')],
  ['version not hex', tp('01', 'zz')],
  ['all-zero trace id', tp('01', '00', '0'.repeat(32))],
  ['all-zero parent id', tp('01', '00', TRACE_ID, '0'.repeat(16))],
  ['trace id 31 digits', tp('01', '00', TRACE_ID.slice(1))],
  ['trace id 33 digits', tp('01', '00', `${TRACE_ID}a`)],
  ['trace id upper case', tp('01', '00', TRACE_ID.toUpperCase())],
  ['trace id not hex', tp('01', '00', `g${TRACE_ID.slice(1)}`)],
  ['parent id 15 digits', tp('01', '00', TRACE_ID, PARENT_ID.slice(1))],
  ['parent id 17 digits', tp('01', '00', TRACE_ID, `${PARENT_ID}a`)],
  ['parent id upper case', tp('01', '00', TRACE_ID, PARENT_ID.toUpperCase().replace(/^00/, 'AB'))],
  ['flags one digit', tp('1')],
  ['flags three digits', tp('001')],
  ['flags not hex', tp('0x')],
  ['flags missing', `00-${TRACE_ID}-${PARENT_ID}`],
  ['underscores for dashes', VALID.replaceAll('-', '_')],
  ['spaces inside', VALID.replace('-', ' - ')],
  ['empty value', ''],
  ['only dashes', '---'],
  ['words', 'not a traceparent'],
  ['JSON', JSON.stringify({ traceId: TRACE_ID })],
  ['UTF-8 é inside the trace id', utf8(`00-${TRACE_ID.slice(0, 31)}é-${PARENT_ID}-01`)],
  ['full-width digits', utf8(`００-${TRACE_ID}-${PARENT_ID}-０１`)],
  ['Latin-1 byte 0xff', `00-${TRACE_ID}-${PARENT_ID}-0\xff`],
  ['emoji', utf8('🙂'.repeat(20))],
  ['64 KB of a', 'a'.repeat(KB64)],
  ['version 00 followed by 64 KB', `${VALID}-${'0'.repeat(KB64)}`],
];
for (const [about, value] of badTraceparents) {
  const large = value.length > 8 * 1024;
  add(
    `traceparent ${about}`,
    [['traceparent', value]],
    { trace: 'new', traceState: null },
    large ? { large } : {},
  );
}
const NBSP_NOTE =
  'W3C: invalid (NBSP is not optional whitespace); @opentelemetry/core accepts one \\s character at either end';
add(
  'traceparent ending in NBSP (0xA0)',
  [['traceparent', `${VALID}\xa0`]],
  { trace: 'continue' },
  { deviation: NBSP_NOTE },
);
add(
  'traceparent starting with NBSP (0xA0)',
  [['traceparent', `\xa0${VALID}`]],
  { trace: 'continue' },
  { deviation: NBSP_NOTE },
);
add(
  'two different traceparent headers',
  [
    ['traceparent', VALID],
    ['traceparent', tp('01', '00', 'a'.repeat(32), 'b'.repeat(16))],
  ],
  { trace: 'new' },
);
add(
  'the same traceparent twice',
  [
    ['traceparent', VALID],
    ['traceparent', VALID],
  ],
  { trace: 'new' },
);
add(
  'traceparent twice, the second empty',
  [
    ['traceparent', VALID],
    ['traceparent', ''],
  ],
  { trace: 'new' },
);

// ---------------------------------------------------------------- tracestate
const withState = (
  id: string,
  states: string[],
  traceState: string | null | undefined,
  extra: Partial<HeaderCase> = {},
) =>
  add(
    id,
    [['traceparent', VALID], ...states.map((s) => ['tracestate', s] as const)],
    traceState === undefined ? { trace: 'continue' } : { trace: 'continue', traceState },
    extra,
  );
withState('tracestate one member', ['congo=t61rcWkgMzE'], 'congo=t61rcWkgMzE');
withState(
  'tracestate two members, order kept',
  ['rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
  'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
);
withState(
  'tracestate 32 members',
  [listOf(32, (i) => `k${i}=v${i}`)],
  listOf(32, (i) => `k${i}=v${i}`),
);
withState(
  'tracestate 33 members: the first 32 kept',
  [listOf(33, (i) => `k${i}=v${i}`)],
  listOf(32, (i) => `k${i}=v${i}`),
);
withState(
  'tracestate 100 members',
  [listOf(100, (i) => `k${i}=${i}`)],
  listOf(32, (i) => `k${i}=${i}`),
);
withState(
  'tracestate 64 KB of members',
  [listOf(6000, (i) => `m${i}=${i}`).slice(0, KB64)],
  listOf(32, (i) => `m${i}=${i}`),
  { large: true },
);
withState('tracestate one 64 KB member', [`big=${'v'.repeat(KB64)}`], '', { large: true });
withState(
  'tracestate 33 headers of one member',
  Array.from({ length: 33 }, (_, i) => `h${i}=${i}`),
  listOf(32, (i) => `h${i}=${i}`),
);
withState('tracestate split across two headers', ['a=1', 'b=2'], 'a=1,b=2');
withState('tracestate key in upper case dropped', ['Congo=1,rojo=2'], 'rojo=2');
withState('tracestate key starting with a digit dropped', ['1abc=1,rojo=2'], 'rojo=2');
withState('tracestate multi-tenant key kept', ['fw529a3039@dt=xyz'], 'fw529a3039@dt=xyz');
withState('tracestate system id over 14 characters dropped', ['t@abcdefghijklmno=1,ok=2'], 'ok=2');
withState('tracestate key with * and / kept', ['a*b/c_d-e=1'], 'a*b/c_d-e=1');
withState(
  'tracestate key of 256 characters kept',
  [`k${'a'.repeat(255)}=1`],
  `k${'a'.repeat(255)}=1`,
);
withState('tracestate key of 257 characters dropped', [`k${'a'.repeat(256)}=1,ok=2`], 'ok=2');
withState(
  'tracestate value of 256 characters kept',
  [`k=${'v'.repeat(256)}`],
  `k=${'v'.repeat(256)}`,
);
withState('tracestate value of 257 characters dropped', [`k=${'v'.repeat(257)},ok=2`], 'ok=2');
withState('tracestate value containing =', ['a=b=c,ok=2'], 'ok=2');
withState('tracestate member without =', ['nothing,ok=2'], 'ok=2');
withState('tracestate empty members skipped', [',,a=1,, ,b=2,'], 'a=1,b=2');
withState('tracestate whitespace around members', [' a=1 \t,\tb=2 '], 'a=1,b=2');
withState('tracestate UTF-8 value dropped', [`${utf8('a=é')},ok=2`], 'ok=2');
withState('tracestate Latin-1 byte dropped', ['a=\xe9,ok=2'], 'ok=2');
withState(
  'tracestate longer than 512 characters: later members dropped',
  [listOf(3, (i) => `k${i}=${'v'.repeat(250)}`)],
  listOf(2, (i) => `k${i}=${'v'.repeat(250)}`),
);
// Duplicate keys: W3C leaves the receiver's choice open; only the general rules are checked.
withState('tracestate duplicated key', ['a=1,b=2,a=3'], undefined);
add('tracestate without traceparent ignored', [['tracestate', 'congo=t61rcWkgMzE']], {
  trace: 'new',
  traceState: null,
});
add(
  'tracestate with an invalid traceparent ignored',
  [
    ['traceparent', tp('01', 'ff')],
    ['tracestate', 'congo=1'],
  ],
  { trace: 'new', traceState: null },
);
add(
  'bad tracestate keeps the traceparent',
  [
    ['traceparent', VALID],
    ['tracestate', '!!!,===,bad key=1,k='],
  ],
  { trace: 'continue', traceState: '' },
);

// ---------------------------------------------------------------- baggage
const withBaggage = (
  id: string,
  values: string[],
  baggage: HeaderCase['expect']['baggage'],
  extra: Partial<HeaderCase> = {},
) =>
  add(
    id,
    [['traceparent', VALID], ...values.map((v) => ['baggage', v] as const)],
    { trace: 'continue', baggage },
    extra,
  );
withBaggage('baggage one entry', ['userId=alice'], { userId: 'alice' });
withBaggage('baggage percent-encoded value', ['k=hello%20world%2C%3D'], { k: 'hello world,=' });
withBaggage('baggage percent-encoded UTF-8', ['k=%C3%A9t%C3%A9'], { k: 'été' });
withBaggage('baggage with properties', ['k=v;prop=1;flag'], { k: 'v' });
withBaggage('baggage broken percent-encoding dropped', ['bad=%E0%A4%A,ok=1'], { ok: '1' });
withBaggage('baggage empty key and empty value dropped', ['=v,k=,ok=1'], { ok: '1' });
withBaggage('baggage empty entries skipped', ['a=1,,, ,b=2'], { a: '1', b: '2' });
withBaggage('baggage split across two headers', ['a=1', 'b=2'], { a: '1', b: '2' });
withBaggage(
  'baggage 64 entries of 120 bytes (W3C minimum)',
  [listOf(64, (i) => `key${String(i).padStart(2, '0')}=${'v'.repeat(120)}`)],
  baggageRecord(
    64,
    (i) => `key${String(i).padStart(2, '0')}`,
    () => 'v'.repeat(120),
  ),
);
withBaggage('baggage 180 entries', [listOf(180, (i) => `k${i}=1`)], { count: 180 });
withBaggage('baggage 181 entries: 180 kept', [listOf(181, (i) => `k${i}=1`)], { count: 180 });
withBaggage('baggage 1000 entries', [listOf(1000, (i) => `k${i}=1`)], { count: 180 });
withBaggage('baggage entry of 4096 characters kept', [`k=${'v'.repeat(4094)}`], {
  k: 'v'.repeat(4094),
});
withBaggage('baggage entry of 4097 characters dropped', [`k=${'v'.repeat(4095)},ok=1`], {
  ok: '1',
});
withBaggage(
  'baggage over 8192 characters: the rest dropped',
  [listOf(3, (i) => `k${i}=${'v'.repeat(3997)}`)],
  baggageRecord(
    2,
    (i) => `k${i}`,
    () => 'v'.repeat(3997),
  ),
);
withBaggage(
  'baggage 64 KB of small entries',
  [listOf(9000, (i) => `b${i}=${i}`).slice(0, KB64)],
  { count: 180 },
  { large: true },
);
withBaggage('baggage one 64 KB entry dropped', [`big=${'v'.repeat(KB64)}`], {}, { large: true });
withBaggage(
  'baggage 200 headers of one entry',
  Array.from({ length: 200 }, (_, i) => `h${i}=${i}`),
  { count: 180 },
);
withBaggage(
  'baggage raw UTF-8 bytes',
  [`${utf8('k=é')},ok=1`],
  { count: 2 },
  {
    deviation:
      'W3C: values must be percent-encoded; @opentelemetry/core keeps the raw bytes (Latin-1 decoded)',
  },
);
withBaggage(
  'baggage key with a space',
  ['key with space=1,ok=2'],
  { 'key with space': '1', ok: '2' },
  {
    deviation: 'W3C: a key is a token; @opentelemetry/core accepts any trimmed text',
  },
);
withBaggage('baggage percent-encoded NUL', ['k=%00,ok=1'], { k: '\u0000', ok: '1' });
withBaggage('baggage duplicated key: the last wins', ['a=1,a=2'], { a: '2' });
add('baggage without traceparent still extracted', [['baggage', 'k=v']], {
  trace: 'new',
  baggage: { k: 'v' },
});
add(
  'baggage with an invalid traceparent still extracted',
  [
    ['traceparent', 'nonsense'],
    ['baggage', 'k=v'],
  ],
  { trace: 'new', baggage: { k: 'v' } },
);
add('baggage header name in upper case', [['BAGGAGE', 'k=v']], {
  trace: 'new',
  baggage: { k: 'v' },
});

// ---------------------------------------------------------------- all three at once
add(
  'all three headers at 64 KB',
  [
    ['traceparent', `${VALID}-${'f'.repeat(KB64)}`],
    ['tracestate', listOf(6000, (i) => `m${i}=${i}`).slice(0, KB64)],
    ['baggage', listOf(9000, (i) => `b${i}=${i}`).slice(0, KB64)],
  ],
  { trace: 'new', traceState: null, baggage: { count: 180 } },
  { large: true },
);
add(
  'all three headers ten times',
  Array.from(
    { length: 10 },
    () =>
      [
        ['traceparent', VALID],
        ['tracestate', 'a=1'],
        ['baggage', 'k=v'],
      ] as const,
  ).flat(),
  { trace: 'new', traceState: null, baggage: { k: 'v' } },
);
add(
  'all three in odd case',
  [
    ['TraceParent', VALID],
    ['TRACESTATE', 'a=1'],
    ['Baggage', 'k=v'],
  ],
  { trace: 'continue', traceState: 'a=1', baggage: { k: 'v' } },
);

// ---------------------------------------------------------------- rejected by Node's HTTP parser
add(
  'traceparent of 20 KB at the default header limit',
  [['traceparent', 'a'.repeat(20 * 1024)]],
  { trace: 'new' },
  { rejectedByNode: 431 },
);
add(
  'baggage of 64 KB at the default header limit',
  [['baggage', `k=${'v'.repeat(KB64)}`]],
  { trace: 'new' },
  { rejectedByNode: 431 },
);
add(
  'NUL byte in traceparent',
  [['traceparent', `${VALID.slice(0, 10)}\x00${VALID.slice(11)}`]],
  { trace: 'new' },
  { rejectedByNode: 400 },
);
add(
  'bare CR in tracestate',
  [
    ['traceparent', VALID],
    ['tracestate', 'a=1\rb=2'],
  ],
  { trace: 'new' },
  { rejectedByNode: 400 },
);
add(
  'DEL byte in tracestate',
  [
    ['traceparent', VALID],
    ['tracestate', 'a=\x7f'],
  ],
  { trace: 'new' },
  { rejectedByNode: 400 },
);
add(
  'control byte 0x01 in baggage',
  [['baggage', 'k=\x01']],
  { trace: 'new' },
  { rejectedByNode: 400 },
);
add(
  'non-ASCII header name',
  [[utf8('tracepärent'), VALID]],
  { trace: 'new' },
  { rejectedByNode: 400 },
);
add('space before the colon', [['traceparent ', VALID]], { trace: 'new' }, { rejectedByNode: 400 });

/** The corpus. */
export const HEADER_CORPUS: readonly HeaderCase[] = cases;
