import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  parseTraceparent,
  parseTraceState,
  StrictW3CTraceContextPropagator,
  W3CTraceState,
} from '../src/index.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const tp = (rest = '-01', version = '00') => `${version}-${TRACE_ID}-${SPAN_ID}${rest}`;

describe('parseTraceparent', () => {
  it.each([
    ['version 00', tp(), 1],
    ['not sampled', tp('-00'), 0],
    ['random flag', tp('-02'), 2],
    ['unknown flags read as 0', tp('-ff'), 3],
    ['leading space', ` ${tp()}`, 1],
    ['leading and trailing tabs and spaces', `\t ${tp()} \t`, 1],
    ['a higher version, four fields', tp('-01', 'cc'), 1],
    ['a higher version with a fifth field', tp('-01-what-the-future-will-be-like', 'cc'), 1],
    ['the only value of a list', [tp()], 1],
  ])('%s: kept', (_name, value, flags) => {
    expect(parseTraceparent(value)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: flags,
    });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['version ff', tp('-01', 'ff')],
    ['version 00 with a fifth field', tp('-01-extra')],
    ['version 00 with a trailing dot', tp('-01.')],
    ['a higher version followed by a dot', tp('-01.what-the-future-will-be-like', 'cc')],
    ['version of one digit', `0-${TRACE_ID}-${SPAN_ID}-01`],
    ['version of three digits', `000-${TRACE_ID}-${SPAN_ID}-01`],
    ['version with a dot', `.0-${TRACE_ID}-${SPAN_ID}-01`],
    ['upper-case version', tp('-01', 'CC')],
    ['upper-case trace id', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['trace id of 31 digits', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['trace id of 33 digits', `00-${TRACE_ID}3-${SPAN_ID}-01`],
    ['trace id with a dot', `00-.${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['parent id of 15 digits', `00-${TRACE_ID}-${SPAN_ID.slice(1)}-01`],
    ['parent id of 17 digits', `00-${TRACE_ID}-${SPAN_ID}7-01`],
    ['parent id with a dot', `00-${TRACE_ID}-${SPAN_ID.slice(1)}.-01`],
    ['flags of one digit', tp('-1')],
    ['flags of three digits', tp('-001')],
    ['flags with a dot', tp('-0.')],
    ['the header twice (two lines)', [tp(), tp()]],
    ['the header twice (joined by the HTTP layer)', `${tp()}, ${tp()}`],
    ['a newline around it', `\n${tp()}`],
  ])('%s: restart the trace', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

const allKeyChars = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
const allValueChars = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
  .filter((c) => c !== ',' && c !== '=')
  .join('');
const listOf = (count: number) => Array.from({ length: count }, (_, i) => `k${i}=${i}`);

describe('parseTraceState', () => {
  it.each<[string, string | string[], string]>([
    ['one member', 'congo=t61rcWkgMzE', 'congo=t61rcWkgMzE'],
    [
      'order kept',
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    ],
    [
      'several lines, in order',
      ['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'],
      'foo=1,bar=2,rojo=1,congo=2,baz=3',
    ],
    ['spaces and tabs around members', 'foo=1 \t , \t bar=2, \t baz=3', 'foo=1,bar=2,baz=3'],
    ['leading whitespace', '\t foo=1', 'foo=1'],
    ['trailing whitespace', 'foo=1 \t', 'foo=1'],
    ['empty members', ',,a=1,, ,\t,b=2,', 'a=1,b=2'],
    ['an empty line after a member', ['foo=1', ''], 'foo=1'],
    ['an empty line before a member', ['', 'foo=1'], 'foo=1'],
    ['the HTTP layer joined lines with ", "', 'foo=1, ', 'foo=1'],
    [
      'every key and value character',
      `${allKeyChars}=${allValueChars}`,
      `${allKeyChars}=${allValueChars}`,
    ],
    ['@ in a key', `${allKeyChars}@a-z0-9_-*/=1`, `${allKeyChars}@a-z0-9_-*/=1`],
    ['a key starting with a digit', '1abc=1', '1abc=1'],
    ['a key ending with @', 'foo@=1,bar=2', 'foo@=1,bar=2'],
    ['two @ in a row', 'foo@@bar=1,bar=2', 'foo@@bar=1,bar=2'],
    ['two @ apart', 'foo@bar@baz=1,bar=2', 'foo@bar@baz=1,bar=2'],
    ['a system id longer than 14 characters', `t@${'v'.repeat(15)}=1`, `t@${'v'.repeat(15)}=1`],
    ['a key of 256 characters', `${'z'.repeat(256)}=1`, `${'z'.repeat(256)}=1`],
    ['a value of 256 characters', `k=${'v'.repeat(256)}`, `k=${'v'.repeat(256)}`],
    ['a value starting with a space', 'k= v', 'k= v'],
    ['32 members', listOf(32).join(','), listOf(32).join(',')],
    [
      '32 members over four lines',
      [listOf(10).join(','), listOf(32).slice(10).join(',')],
      listOf(32).join(','),
    ],
    ['a duplicated key keeps its first value', 'foo=1,foo=2', 'foo=1'],
    ['a duplicated key over two lines', ['foo=1', 'foo=1'], 'foo=1'],
  ])('%s', (_name, header, serialized) => {
    expect(parseTraceState(header)?.serialize()).toBe(serialized);
  });

  it.each<[string, string | string[] | undefined]>([
    ['absent', undefined],
    ['empty', ''],
    ['only separators and whitespace', ' , \t,'],
    ['33 members', listOf(33).join(',')],
    ['33 members over two lines', [listOf(32).join(','), 'k32=32']],
    ['a space inside the key', 'foo =1'],
    ['an upper-case key', 'FOO=1'],
    ['a dot in the key', 'foo.bar=1'],
    ['a key starting with @', '@foo=1,bar=2'],
    ['a key of 257 characters', ['foo=1', `${'z'.repeat(257)}=1`]],
    ['= in the value', 'foo=bar=baz'],
    ['an empty value', 'foo=,bar=3'],
    ['a value of 257 characters', `k=${'v'.repeat(257)},ok=2`],
    ['no =', 'nothing,ok=2'],
    ['a tab inside the value', 'k=a\tb'],
    ['a non-ASCII byte in the value', 'a=\xe9,ok=2'],
  ])('%s: discarded whole', (_name, header) => {
    expect(parseTraceState(header)).toBeUndefined();
  });

  it('beyond 512 characters drops members longer than 128 first, then from the end', () => {
    const long = (k: string) => `${k}=${'l'.repeat(200)}`;
    const short = (k: string) => `${k}=${'s'.repeat(100)}`;
    const header = [short('a'), long('b'), short('c'), short('d'), long('e'), short('f')].join(',');
    // 4 × 102 + 2 × 202 + 5 commas = 817: without e (the right-most long member) 614, without b 411.
    expect(parseTraceState(header)?.serialize()).toBe(['a', 'c', 'd', 'f'].map(short).join(','));
    // 6 × 102 + 5 = 617: without f 514, without e 411.
    const shorts = ['a', 'b', 'c', 'd', 'e', 'f'].map(short).join(',');
    expect(parseTraceState(shorts)?.serialize()).toBe(['a', 'b', 'c', 'd'].map(short).join(','));
  });
});

describe('W3CTraceState', () => {
  it('puts a new or updated member first and refuses invalid ones', () => {
    const state = new W3CTraceState([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(state.set('c', '3').serialize()).toBe('c=3,a=1,b=2');
    expect(state.set('b', '9').serialize()).toBe('b=9,a=1');
    expect(state.set('B', '9')).toBe(state);
    expect(state.set('c', 'x=y')).toBe(state);
    expect(state.unset('a').serialize()).toBe('b=2');
    expect(state.unset('zz')).toBe(state);
    expect(state.get('b')).toBe('2');
  });

  it('drops the right-most member when a 33rd is added', () => {
    const state = parseTraceState(listOf(32).join(',')) as W3CTraceState;
    const added = state.set('new', 'x');
    expect(added.size).toBe(32);
    expect(added.serialize()).toBe(['new=x', ...listOf(31)].join(','));
  });
});

type Headers = Record<string, string | string[]>;
const propagator = new StrictW3CTraceContextPropagator();
const extract = (headers: Headers) =>
  propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
const inject = (context: Context) => {
  const out: Record<string, string> = {};
  propagator.inject(context, out, defaultTextMapSetter);
  return out;
};

describe('StrictW3CTraceContextPropagator', () => {
  it('continues a valid parent with its tracestate', () => {
    const span = trace.getSpanContext(extract({ traceparent: tp(), tracestate: 'foo=1,bar=2' }));
    expect(span).toMatchObject({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 1,
      isRemote: true,
    });
    expect(span?.traceState?.serialize()).toBe('foo=1,bar=2');
  });

  it('ignores tracestate without a valid traceparent and keeps traceparent without a valid tracestate', () => {
    expect(trace.getSpanContext(extract({ tracestate: 'foo=1' }))).toBeUndefined();
    expect(
      trace.getSpanContext(extract({ traceparent: tp('-01', 'ff'), tracestate: 'foo=1' })),
    ).toBeUndefined();
    const span = trace.getSpanContext(extract({ traceparent: tp(), tracestate: 'foo=,bar=3' }));
    expect(span?.traceId).toBe(TRACE_ID);
    expect(span?.traceState).toBeUndefined();
  });

  it('injects version 00 with the known flags only', () => {
    const context = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 0xff,
      traceState: new W3CTraceState([['a', '1']]),
    });
    expect(inject(context)).toEqual({ traceparent: tp('-03'), tracestate: 'a=1' });
  });

  it('carries the random flag to a child span of the same trace that lost it', () => {
    const extracted = extract({ traceparent: tp('-02', 'cc') });
    // What the SDK's tracer does: same trace id, a new span id, only the sampled bit.
    const child = trace.setSpanContext(extracted, {
      traceId: TRACE_ID,
      spanId: '1111111111111111',
      traceFlags: TraceFlags.NONE,
    });
    expect(inject(child).traceparent).toBe(`00-${TRACE_ID}-1111111111111111-02`);
    const otherTrace = trace.setSpanContext(extracted, {
      traceId: 'a'.repeat(32),
      spanId: '1111111111111111',
      traceFlags: TraceFlags.SAMPLED,
    });
    expect(inject(otherTrace).traceparent).toBe(`00-${'a'.repeat(32)}-1111111111111111-01`);
  });

  it('injects nothing for an invalid span context or suppressed tracing', () => {
    expect(inject(ROOT_CONTEXT)).toEqual({});
    const context = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 1,
    });
    const suppressed = context.setValue(
      Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING'),
      true,
    );
    expect(inject(suppressed)).toEqual({});
    expect(propagator.fields()).toEqual(['traceparent', 'tracestate']);
  });
});
