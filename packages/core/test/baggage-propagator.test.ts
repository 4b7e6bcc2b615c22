import {
  baggageEntryMetadataFromString,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
} from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  decodeBaggageValue,
  encodeBaggageValue,
  parseBaggage,
  StrictW3CBaggagePropagator,
  serializeBaggage,
} from '../src/index.js';

const asRecord = (header: string | string[]) =>
  Object.fromEntries(parseBaggage(header).map((m) => [m.key, m.value]));

describe('parseBaggage: the W3C Baggage examples', () => {
  it.each<[string, string | string[], Record<string, string>]>([
    [
      'one header',
      'userId=alice,serverNode=DF%2028,isProduction=false',
      { userId: 'alice', serverNode: 'DF 28', isProduction: 'false' },
    ],
    [
      'a percent-encoded UTF-8 value',
      'userId=Am%C3%A9lie,serverNode=DF%2028,isProduction=false',
      { userId: 'Amélie', serverNode: 'DF 28', isProduction: 'false' },
    ],
    [
      'split into two headers',
      ['userId=alice', 'serverNode=DF%2028,isProduction=false'],
      { userId: 'alice', serverNode: 'DF 28', isProduction: 'false' },
    ],
    [
      'names and values with spaces around them',
      ['userId =   alice', 'serverNode = DF%2028, isProduction = false'],
      { userId: 'alice', serverNode: 'DF 28', isProduction: 'false' },
    ],
    [
      'properties',
      'key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue',
      { key1: 'value1', key2: 'value2', key3: 'value3' },
    ],
  ])('%s', (_name, header, expected) => {
    expect(asRecord(header)).toEqual(expected);
  });

  it('keeps the properties, whitespace around them removed', () => {
    expect(
      parseBaggage(
        'key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue',
      ),
    ).toEqual([
      { key: 'key1', value: 'value1', properties: 'property1;property2' },
      { key: 'key2', value: 'value2' },
      { key: 'key3', value: 'value3', properties: 'propertyKey=propertyValue' },
    ]);
  });
});

describe('parseBaggage: grammar and limits', () => {
  it.each<[string, string, Record<string, string>]>([
    ['= inside a value', 'k=a=b', { k: 'a=b' }],
    ['an empty value', 'k=,j=1', { k: '', j: '1' }],
    ['token characters in a key', "a!#$%&'*+-.^_`|~Z9=1", { "a!#$%&'*+-.^_`|~Z9": '1' }],
    ['a key that is not a token', 'a:b=1,ok=2', { ok: '2' }],
    ['an empty key', '=1,ok=2', { ok: '2' }],
    ['no =', 'nothing,ok=2', { ok: '2' }],
    ['a space inside a value', 'k=a b,ok=2', { ok: '2' }],
    ['a double quote in a value', 'k="a",ok=2', { ok: '2' }],
    ['a backslash in a value', 'k=a\\b,ok=2', { ok: '2' }],
    ['an invalid property drops its member', 'k=1;bad key,ok=2', { ok: '2' }],
    ['a property with an invalid value drops its member', 'k=1;p=a b,ok=2', { ok: '2' }],
    ['empty members', ',, ,k=1,', { k: '1' }],
    ['a duplicated key keeps its first value', 'k=1,k=2', { k: '1' }],
    [
      'bytes that are not UTF-8 become U+FFFD',
      'k=%FF%FEa,ok=%C3%A9',
      { k: '\ufffd\ufffda', ok: 'é' },
    ],
    ['a truncated UTF-8 sequence becomes U+FFFD', 'k=%C3', { k: '\ufffd' }],
    ['a % that does not start an escape stays', 'k=100%,j=%zz', { k: '100%', j: '%zz' }],
    ['a percent-encoded %', 'k=%25', { k: '%' }],
  ])('%s', (_name, header, expected) => {
    expect(asRecord(header)).toEqual(expected);
  });

  it('reads 180 members, not only 64', () => {
    const header = Array.from({ length: 200 }, (_, i) => `k${i}=${i}`).join(',');
    const members = parseBaggage(header);
    expect(members).toHaveLength(180);
    expect(members.at(-1)).toEqual({ key: 'k179', value: '179' });
  });

  it('reads 8192 bytes, whole members only', () => {
    const member = (i: number) => `k${i}=${'v'.repeat(1000)}`; // 1003 characters
    const header = Array.from({ length: 10 }, (_, i) => member(i)).join(',');
    const members = parseBaggage(header);
    // 8 members are 8 × 1003 + 7 = 8031 characters; the 9th would end at 9035.
    expect(members.map((m) => m.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
    expect(parseBaggage(`k=${'v'.repeat(8190)}`)).toEqual([{ key: 'k', value: 'v'.repeat(8190) }]);
    expect(parseBaggage(`k=${'v'.repeat(8191)}`)).toEqual([]);
  });
});

describe('encodeBaggageValue / decodeBaggageValue', () => {
  it.each([
    ['alice', 'alice'],
    ['DF 28', 'DF%2028'],
    ['Amélie', 'Am%C3%A9lie'],
    ['100%', '100%25'],
    ['a,b;c\\d"e', 'a%2Cb%3Bc%5Cd%22e'],
    ['=/:?#', '=/:?#'],
    ['😀', '%F0%9F%98%80'],
    ['lone \ud800 surrogate', 'lone%20%EF%BF%BD%20surrogate'],
  ])('%j ↔ %j', (value, encoded) => {
    expect(encodeBaggageValue(value)).toBe(encoded);
    if (!value.includes('\ud800')) expect(decodeBaggageValue(encoded)).toBe(value);
  });
});

describe('StrictW3CBaggagePropagator', () => {
  const propagator = new StrictW3CBaggagePropagator();

  it('extracts entries with their properties as metadata, and injects them back', () => {
    const context = propagator.extract(
      ROOT_CONTEXT,
      { baggage: 'userId=Am%C3%A9lie;p1;p2=x, serverNode = DF%2028' },
      defaultTextMapGetter,
    );
    const baggage = propagation.getBaggage(context);
    expect(baggage?.getEntry('userId')?.value).toBe('Amélie');
    expect(baggage?.getEntry('userId')?.metadata?.toString()).toBe('p1;p2=x');
    expect(baggage?.getEntry('serverNode')?.value).toBe('DF 28');
    const out: Record<string, string> = {};
    propagator.inject(context, out, defaultTextMapSetter);
    expect(out).toEqual({ baggage: 'userId=Am%C3%A9lie;p1;p2=x,serverNode=DF%2028' });
  });

  it('leaves the context alone when nothing is valid', () => {
    const context = propagator.extract(
      ROOT_CONTEXT,
      { baggage: 'bad key=1' },
      defaultTextMapGetter,
    );
    expect(context).toBe(ROOT_CONTEXT);
  });

  it('sends at most 180 members and 8192 bytes, leaving out invalid keys and metadata', () => {
    const many = propagation.createBaggage(
      Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, { value: `${i}` }])),
    );
    expect(serializeBaggage(many)?.split(',')).toHaveLength(180);
    const big = propagation.createBaggage({
      a: { value: 'v'.repeat(5000) },
      b: { value: 'v'.repeat(5000) },
      c: { value: 'small' },
      'bad key': { value: '1' },
      d: { value: '1', metadata: baggageEntryMetadataFromString('not valid"') },
    });
    expect(serializeBaggage(big)).toBe(`a=${'v'.repeat(5000)},c=small,d=1`);
    expect(serializeBaggage(propagation.createBaggage())).toBeUndefined();
  });
});
