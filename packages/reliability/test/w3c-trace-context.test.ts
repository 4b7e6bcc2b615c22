/**
 * Every situation a W3C Trace Context test harness puts a service in, written from the
 * specification's rules: a real service per adapter (see `w3c-service.ts`) receives raw HTTP/1.1
 * requests with the header lines of each case, calls back a local harness server once or more
 * through `instrumentedFetch`, and the test reads the trace context of those callbacks.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompositePropagator } from '@opentelemetry/core';
import { StrictW3CBaggagePropagator, StrictW3CTraceContextPropagator } from '@otel-http/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange } from '../src/client.js';
import type { RunningServer } from '../src/targets.js';
import { createTelemetry, type Telemetry } from '../src/telemetry.js';
import { ADAPTERS, startW3CService } from '../src/w3c-service.js';

const TRACE_ID = '12345678901234567890123456789012';
const PARENT_ID = '1234567890123456';
const tp = (flags = '01', version = '00', rest = '') =>
  `${version}-${TRACE_ID}-${PARENT_ID}-${flags}${rest}`;

/** The trace context a callback carried, read the way a receiver would. */
interface Callback {
  traceId: string;
  parentId: string;
  flags: number;
  /** `tracestate` members in order, lines joined. */
  state: Array<[string, string]>;
}

type Lines = Array<[string, string]>;
interface Case {
  name: string;
  /** One or more requests, each with its header lines, and how many callbacks each asks for. */
  requests: Array<{ lines: Lines; callbacks?: number }>;
  check(callbacks: Callback[][]): void;
}

const stateOf = (c: Callback) => Object.fromEntries(c.state);
const keysOf = (c: Callback) => c.state.map(([k]) => k);
const one = (callbacks: Callback[][], i = 0) => callbacks[i]?.[0] as Callback;

/** A request the service must treat as the start of a new trace. */
const restarts = (name: string, ...values: string[]): Case => ({
  name,
  requests: values.map((value) => ({ lines: [['traceparent', value]] })),
  check: (callbacks) => {
    for (const [i, value] of values.entries()) {
      const callback = one(callbacks, i);
      expect(callback.traceId, value).not.toBe(TRACE_ID);
      // Nor any 32 characters of what was sent.
      expect(value.includes(callback.traceId), value).toBe(false);
    }
  },
});
/** A request the service must continue: same trace id, a parent id of its own. */
const continues = (name: string, lines: Lines[]): Case => ({
  name,
  requests: lines.map((l) => ({ lines: l })),
  check: (callbacks) => {
    for (const i of lines.keys()) {
      expect(one(callbacks, i).traceId).toBe(TRACE_ID);
      expect(one(callbacks, i).parentId).not.toBe(PARENT_ID);
    }
  },
});
/** With a valid parent, the `tracestate` lines given; `check` sees each callback. */
const withState = (
  name: string,
  states: string[][],
  check: (c: Callback, i: number) => void,
): Case => ({
  name,
  requests: states.map((lines) => ({
    lines: [['traceparent', tp('00')], ...lines.map((s) => ['tracestate', s] as [string, string])],
  })),
  check: (callbacks) => {
    for (const i of states.keys()) {
      expect(one(callbacks, i).traceId).toBe(TRACE_ID);
      check(one(callbacks, i), i);
    }
  },
});
const members = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => {
    const n = String(from + i).padStart(2, '0');
    return `bar${n}=${n}`;
  }).join(',');
const keyChars = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
const valueChars = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
  .filter((c) => c !== ',' && c !== '=')
  .join('');

const CASES: Case[] = [
  {
    name: 'no trace context: a new trace',
    requests: [{ lines: [] }],
    check: (callbacks) => expect(one(callbacks).state).toEqual([]),
  },
  continues('a valid traceparent is continued with a new parent id', [[['traceparent', tp()]]]),
  {
    name: 'traceparent sent twice on two lines: neither is used',
    requests: [
      {
        lines: [
          ['traceparent', `00-${TRACE_ID.slice(0, 31)}1-${PARENT_ID}-01`],
          ['traceparent', tp()],
        ],
      },
    ],
    check: (callbacks) => {
      expect(one(callbacks).traceId).not.toBe(TRACE_ID);
      expect(one(callbacks).traceId).not.toBe(`${TRACE_ID.slice(0, 31)}1`);
    },
  },
  {
    name: 'a header named otherwise is not traceparent',
    requests: [{ lines: [['trace-parent', tp()]] }, { lines: [['trace.parent', tp()]] }],
    check: (callbacks) => {
      expect(one(callbacks, 0).traceId).not.toBe(TRACE_ID);
      expect(one(callbacks, 1).traceId).not.toBe(TRACE_ID);
    },
  },
  continues('the header name in any letter case', [
    [['TraceParent', tp()]],
    [['TrAcEpArEnT', tp()]],
    [['TRACEPARENT', tp()]],
  ]),
  restarts('version 00 has exactly four fields', tp('01', '00', '.'), tp('01', '00', '-future')),
  continues('a higher version is read by its first four fields', [
    [['traceparent', tp('01', 'cc')]],
    [['traceparent', tp('01', 'cc', '-what-the-future-will-be-like')]],
  ]),
  restarts(
    'a higher version whose fifth field does not start with a dash',
    tp('01', 'cc', '.future'),
  ),
  restarts('version ff is invalid', tp('01', 'ff')),
  restarts('version with a non-hex character', tp('01', '.0'), tp('01', '0.')),
  restarts('version of three or four digits', tp('01', '000'), tp('01', '0000')),
  restarts('version of one digit', tp('01', '0')),
  restarts('an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`),
  restarts(
    'a trace id with a non-hex character',
    `00-.${TRACE_ID.slice(1)}-${PARENT_ID}-01`,
    `00-${TRACE_ID.slice(0, 31)}.-${PARENT_ID}-01`,
  ),
  restarts('a trace id of 33 digits', `00-${TRACE_ID}3-${PARENT_ID}-01`),
  restarts('a trace id of 31 digits', `00-${TRACE_ID.slice(0, 31)}-${PARENT_ID}-01`),
  restarts('an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`),
  restarts(
    'a parent id with a non-hex character',
    `00-${TRACE_ID}-.${PARENT_ID.slice(1)}-01`,
    `00-${TRACE_ID}-${PARENT_ID.slice(0, 15)}.-01`,
  ),
  restarts('a parent id of 17 digits', `00-${TRACE_ID}-${PARENT_ID}7-01`),
  restarts('a parent id of 15 digits', `00-${TRACE_ID}-${PARENT_ID.slice(0, 15)}-01`),
  restarts('flags with a non-hex character', tp('.0'), tp('0.')),
  restarts('flags of three digits', tp('001')),
  restarts('flags of one digit', tp('1')),
  continues('spaces and tabs around traceparent are not part of it', [
    [['traceparent', ` ${tp()}`]],
    [['traceparent', `\t${tp()}`]],
    [['traceparent', `${tp()} `]],
    [['traceparent', `${tp()}\t`]],
    [['traceparent', `\t ${tp()} \t`]],
  ]),
  {
    name: 'tracestate without traceparent is dropped',
    requests: [{ lines: [['tracestate', 'foo=1']] }, { lines: [['tracestate', 'foo=1,bar=2']] }],
    check: (callbacks) => {
      expect(one(callbacks, 0).state).toEqual([]);
      expect(one(callbacks, 1).state).toEqual([]);
    },
  },
  withState('tracestate with a valid traceparent is passed on', [['foo=1,bar=2']], (c) =>
    expect(c.state).toEqual([
      ['foo', '1'],
      ['bar', '2'],
    ]),
  ),
  {
    name: 'a header named otherwise is not tracestate',
    requests: ['trace-state', 'trace.state'].map((name) => ({
      lines: [
        ['traceparent', tp('00')],
        [name, 'foo=1'],
      ] as Lines,
    })),
    check: (callbacks) => {
      expect(one(callbacks, 0).state).toEqual([]);
      expect(one(callbacks, 1).state).toEqual([]);
    },
  },
  {
    name: 'the tracestate name in any letter case',
    requests: ['TraceState', 'TrAcEsTaTe', 'TRACESTATE'].map((name) => ({
      lines: [
        ['traceparent', tp('00')],
        [name, 'foo=1'],
      ] as Lines,
    })),
    check: (callbacks) => {
      for (const i of [0, 1, 2]) expect(one(callbacks, i).state).toEqual([['foo', '1']]);
    },
  },
  withState('an empty tracestate line adds nothing', [[''], ['foo=1', ''], ['', 'foo=1']], (c, i) =>
    expect(c.state).toEqual(i === 0 ? [] : [['foo', '1']]),
  ),
  withState(
    'tracestate lines are one list, in order',
    [['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3']],
    (c) => expect(keysOf(c)).toEqual(['foo', 'bar', 'rojo', 'congo', 'baz']),
  ),
  withState(
    'a duplicated key is passed on once',
    [['foo=1,foo=1'], ['foo=1,foo=2'], ['foo=1', 'foo=1'], ['foo=1', 'foo=2']],
    (c) => {
      expect(keysOf(c)).toEqual(['foo']);
      expect(['1', '2']).toContain(stateOf(c).foo);
    },
  ),
  withState(
    'every character the key and value grammar allows',
    [[`${keyChars}=${valueChars}`], [`${keyChars}@a-z0-9_-*/=${valueChars}`]],
    (c, i) =>
      expect(c.state).toEqual([[i === 0 ? keyChars : `${keyChars}@a-z0-9_-*/`, valueChars]]),
  ),
  withState(
    'spaces and tabs around members are not part of them',
    [
      ['foo=1 \t , \t bar=2, \t baz=3'],
      ['foo=1\t \t,\t \tbar=2,\t \tbaz=3'],
      [' foo=1'],
      ['\tfoo=1'],
      ['foo=1 '],
      ['foo=1\t'],
      ['\t foo=1 \t'],
    ],
    (c, i) =>
      expect(c.state).toEqual(
        i < 2
          ? [
              ['foo', '1'],
              ['bar', '2'],
              ['baz', '3'],
            ]
          : [['foo', '1']],
      ),
  ),
  withState(
    'a key with a space, upper case or a dot is invalid',
    [['foo =1'], ['FOO=1'], ['foo.bar=1']],
    (c) => expect(c.state).toEqual([]),
  ),
  withState(
    'at signs in keys: anywhere but first',
    [['foo@=1,bar=2'], ['@foo=1,bar=2'], ['foo@@bar=1,bar=2'], ['foo@bar@baz=1,bar=2']],
    (c, i) => {
      if (i === 1) expect(c.state).toEqual([]);
      else
        expect(c.state).toEqual([
          [['foo@', 'foo@@bar', 'foo@bar@baz'][i > 1 ? i - 1 : 0] as string, '1'],
          ['bar', '2'],
        ]);
    },
  ),
  withState(
    'at most 32 members: 32 kept, 33 discard the header',
    [
      [members(1, 10), members(11, 20), members(21, 30), members(31, 32)],
      [members(1, 10), members(11, 20), members(21, 30), members(31, 33)],
    ],
    (c, i) => {
      if (i === 0) expect(c.state).toHaveLength(32);
      else expect(c.state).toEqual([]);
    },
  ),
  withState(
    'keys of at most 256 characters, at signs included',
    [
      ['foo=1', `${'z'.repeat(256)}=1`],
      ['foo=1', `${'z'.repeat(257)}=1`],
      ['foo=1', `${'t'.repeat(241)}@${'v'.repeat(14)}=1`],
      ['foo=1', `${'t'.repeat(242)}@v=1`],
      ['foo=1', `t@${'v'.repeat(15)}=1`],
    ],
    (c, i) => {
      const key = [
        `${'z'.repeat(256)}`,
        '',
        `${'t'.repeat(241)}@${'v'.repeat(14)}`,
        `${'t'.repeat(242)}@v`,
        `t@${'v'.repeat(15)}`,
      ][i] as string;
      expect(c.state).toEqual(
        i === 1
          ? []
          : [
              ['foo', '1'],
              [key, '1'],
            ],
      );
    },
  ),
  withState(
    'a value with = or an empty value discards the header',
    [['foo=bar=baz'], ['foo=,bar=3']],
    (c) => expect(c.state).toEqual([]),
  ),
  {
    name: 'several calls continue one trace, each with its own parent id',
    requests: [{ lines: [['traceparent', tp()]], callbacks: 3 }],
    check: (callbacks) => {
      const calls = callbacks[0] as Callback[];
      expect(new Set(calls.map((c) => c.traceId))).toEqual(new Set([TRACE_ID]));
      expect(new Set(calls.map((c) => c.parentId)).size).toBe(3);
    },
  },
  {
    name: 'several calls of a new trace, each with its own parent id',
    requests: [{ lines: [], callbacks: 3 }],
    check: (callbacks) => {
      const calls = callbacks[0] as Callback[];
      expect(new Set(calls.map((c) => c.traceId)).size).toBe(1);
      expect(new Set(calls.map((c) => c.parentId)).size).toBe(3);
    },
  },
  {
    name: 'several calls after an invalid traceparent: a new trace',
    requests: [{ lines: [['traceparent', `00-${'0'.repeat(32)}-${PARENT_ID}-01`]], callbacks: 3 }],
    check: (callbacks) => {
      const calls = callbacks[0] as Callback[];
      expect(calls.map((c) => c.traceId)).not.toContain('0'.repeat(32));
      expect(new Set(calls.map((c) => c.parentId)).size).toBe(3);
    },
  },
  {
    name: 'the random flag (Level 2) is passed on',
    requests: [{ lines: [['traceparent', tp('02')]] }],
    check: (callbacks) => {
      expect(one(callbacks).traceId).toBe(TRACE_ID);
      expect(one(callbacks).parentId).not.toBe(PARENT_ID);
      expect(one(callbacks).flags & 0x02).toBe(0x02);
    },
  },
];

/** Collects the callbacks: `POST /<request id>.<n>` → its header lines. */
class Harness {
  readonly received = new Map<string, Lines>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const lines: Lines = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
      this.received.set(req.url?.slice(1) ?? '', lines);
      req.resume();
      req.on('end', () => res.setHeader('content-type', 'application/json').end('null'));
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

/** The trace context of one callback; fails the test when it has not exactly one valid traceparent. */
function readCallback(lines: Lines): Callback {
  const parents = lines.filter(([name]) => name.toLowerCase() === 'traceparent');
  expect(parents, 'exactly one traceparent').toHaveLength(1);
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(
    parents[0]?.[1] ?? '',
  );
  expect(match, `a valid traceparent: ${parents[0]?.[1]}`).not.toBeNull();
  const [, , traceId, parentId, flags] = match as RegExpExecArray;
  const state: Array<[string, string]> = [];
  for (const [name, value] of lines) {
    if (name.toLowerCase() !== 'tracestate') continue;
    for (const member of value.split(',')) {
      const text = member.replace(/^[ \t]+|[ \t]+$/g, '');
      if (text === '') continue;
      const eq = text.indexOf('=');
      state.push([text.slice(0, eq), text.slice(eq + 1)]);
    }
  }
  return {
    traceId: traceId as string,
    parentId: parentId as string,
    flags: Number.parseInt(flags as string, 16),
    state,
  };
}

let nextRequest = 0;

/** Sends one request with exactly these header lines; the callbacks it caused, in order. */
async function send(
  service: RunningServer,
  harness: Harness,
  lines: Lines,
  callbacks = 1,
): Promise<Callback[]> {
  const id = `r${nextRequest++}`;
  const body = JSON.stringify(
    Array.from({ length: callbacks }, (_, n) => ({
      url: `http://127.0.0.1:${harness.port}/${id}.${n}`,
      arguments: [],
    })),
  );
  const head = [
    'POST /test HTTP/1.1',
    `host: 127.0.0.1:${service.port}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    ...lines.map(([name, value]) => `${name}: ${value}`),
  ];
  const reply = await rawExchange(service.port, `${head.join('\r\n')}\r\n\r\n${body}`);
  expect(reply.status, reply.text.slice(0, 200)).toBe(200);
  return Array.from({ length: callbacks }, (_, n) => {
    const received = harness.received.get(`${id}.${n}`);
    expect(received, `callback ${n} of ${id}`).toBeDefined();
    return readCallback(received as Lines);
  });
}

const propagator = new CompositePropagator({
  propagators: [new StrictW3CTraceContextPropagator(), new StrictW3CBaggagePropagator()],
});

describe.each(ADAPTERS)('W3C Trace Context through %s', (adapter) => {
  const harness = new Harness();
  let telemetry: Telemetry;
  let service: RunningServer;

  beforeAll(async () => {
    await harness.start();
    telemetry = createTelemetry();
    service = await startW3CService(adapter, { ...telemetry.options, propagator });
  });
  afterAll(async () => {
    await service.close();
    await telemetry.shutdown();
    await harness.close();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
    const callbacks: Callback[][] = [];
    for (const request of testCase.requests)
      callbacks.push(await send(service, harness, request.lines, request.callbacks));
    testCase.check(callbacks);
  });
});
