import { describe, expect, it } from 'vitest';
import { boundedBaggage, MAX_BAGGAGE_MEMBERS, MAX_BAGGAGE_READ } from '../src/baggage.js';
import { DEFAULT_EXCEPTION_LIMITS, exceptionOf } from '../src/errors.js';

/** Values thrown by careless or hostile code; none may make `exceptionOf` throw. */
function hostileThrowables(): Array<[string, unknown]> {
  const trapsThrow = new Proxy(
    {},
    {
      get() {
        throw new Error('proxy trap');
      },
      getPrototypeOf() {
        throw new Error('proxy trap');
      },
      has() {
        throw new Error('proxy trap');
      },
      ownKeys() {
        throw new Error('proxy trap');
      },
      getOwnPropertyDescriptor() {
        throw new Error('proxy trap');
      },
    },
  );
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  const throwingGetters = new Error('hidden');
  for (const field of ['stack', 'message', 'name', 'code']) {
    Object.defineProperty(throwingGetters, field, {
      get() {
        throw new Error('getter');
      },
    });
  }
  return [
    ['a Proxy whose traps all throw', trapsThrow],
    ['a revoked Proxy', revocable.proxy],
    ['an Error whose getters throw', throwingGetters],
    ['a frozen Error', Object.freeze(new TypeError('frozen'))],
    ['a Symbol', Symbol('thrown')],
    ['Object.create(null)', Object.create(null)],
    ['undefined', undefined],
    ['a BigInt', 10n],
  ];
}

describe('exceptionOf', () => {
  it.each(hostileThrowables().map(([label]) => label))('never throws for %s', (label) => {
    const value = hostileThrowables().find(([each]) => each === label)?.[1];
    const exception = exceptionOf(value);
    expect(
      exception === '_OTHER' || typeof exception === 'string' || typeof exception === 'object',
    ).toBe(true);
  });

  it('reads what the SDK reads from an ordinary Error', () => {
    const error = new RangeError('out of range');
    expect(exceptionOf(error)).toEqual({
      name: 'RangeError',
      message: 'out of range',
      stack: error.stack,
    });
    const system = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    expect(exceptionOf(system)).toMatchObject({ code: 'ECONNREFUSED', message: 'refused' });
  });

  it('keeps what it can of an Error whose getters throw, and the class name otherwise', () => {
    expect(exceptionOf(hostileThrowables()[2]?.[1])).toBe('Error');
    const partly = new Error('kept');
    Object.defineProperty(partly, 'stack', {
      get() {
        throw new Error('getter');
      },
    });
    expect(exceptionOf(partly)).toEqual({ name: 'Error', message: 'kept' });
  });

  it('gives the string form of what is not an Error, _OTHER when there is none', () => {
    expect(exceptionOf('plain text')).toBe('plain text');
    expect(exceptionOf(Symbol('s'))).toBe('Symbol(s)');
    expect(exceptionOf(Object.create(null))).toBe('_OTHER');
    expect(exceptionOf({ message: 'not an error' })).toBe('[object Object]');
  });

  it('cuts the message and the stack to the limits', () => {
    const huge = new Error('m'.repeat(10 * 1024 * 1024));
    const exception = exceptionOf(huge) as { message: string; stack: string };
    expect(exception.message).toHaveLength(DEFAULT_EXCEPTION_LIMITS.messageLength);
    expect(exception.stack).toHaveLength(DEFAULT_EXCEPTION_LIMITS.stacktraceLength);
    const small = exceptionOf(huge, { messageLength: 10, stacktraceLength: 20 }) as {
      message: string;
      stack: string;
    };
    expect([small.message.length, small.stack.length]).toEqual([10, 20]);
    expect(exceptionOf('s'.repeat(5000))).toHaveLength(DEFAULT_EXCEPTION_LIMITS.messageLength);
  });
});

describe('boundedBaggage', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['a=1', 'a=1'],
    ['a=1,b=2;prop=x', 'a=1,b=2;prop=x'],
    [['a=1', 'b=2'], 'a=1,b=2'],
    ['a=%E4%BD%A0%E5%A5%BD', 'a=%E4%BD%A0%E5%A5%BD'],
    ['a=%41,b=%zz,c=3', 'a=%41,c=3'],
    ['a=%E0%A4%A,b=2', 'b=2'],
    ['a=%E0%A4,b=2', 'b=2'],
    ['a=%C0%80', undefined],
    ['a=%FF', undefined],
    ['a=%', undefined],
    ['a=1,b=%4', 'a=1'],
    ['a=1,,b=2', 'a=1,,b=2'],
  ])('%j → %j', (value, expected) => {
    expect(boundedBaggage(value)).toBe(expected);
  });

  it('returns the same string when nothing changes', () => {
    const header = 'k1=v1,k2=v2';
    expect(boundedBaggage(header)).toBe(header);
  });

  it('reads at most MAX_BAGGAGE_MEMBERS members, valid or not', () => {
    const invalid = Array.from({ length: 1000 }, (_, i) => `k${i}=%zz`).join(',');
    expect(boundedBaggage(`${invalid},good=1`)).toBeUndefined();
    const valid = Array.from({ length: 300 }, (_, i) => `k${i}=${i}`).join(',');
    expect(boundedBaggage(valid)?.split(',')).toHaveLength(MAX_BAGGAGE_MEMBERS);
  });

  it('reads whole members within MAX_BAGGAGE_READ characters', () => {
    const member = `k=${'v'.repeat(98)}`; // 100 characters
    const header = Array.from({ length: 200 }, () => member).join(',');
    const bounded = boundedBaggage(header) ?? '';
    expect(bounded.length).toBeLessThanOrEqual(MAX_BAGGAGE_READ);
    expect(bounded.split(',').every((kept) => kept === member)).toBe(true);
    expect(boundedBaggage('v'.repeat(MAX_BAGGAGE_READ + 1))).toBeUndefined();
  });
});
