import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponseHead, rawRequest } from '../src/client.js';
import { CALLER, MALFORMED_TRACEPARENTS, VALID_TRACEPARENT } from '../src/traceparents.js';
import { waitFor } from '../src/wait.js';

describe('the malformed traceparent table', () => {
  const propagator = new W3CTraceContextPropagator();
  const extract = (value: string) =>
    trace.getSpanContext(
      propagator.extract(
        ROOT_CONTEXT,
        { traceparent: value },
        {
          get: (carrier, key) => carrier[key as 'traceparent'],
          keys: (carrier) => Object.keys(carrier),
        },
      ),
    );

  it('holds at least 15 distinct values', () => {
    expect(MALFORMED_TRACEPARENTS.length).toBeGreaterThanOrEqual(15);
    expect(new Set(MALFORMED_TRACEPARENTS.map((entry) => entry.label)).size).toBe(
      MALFORMED_TRACEPARENTS.length,
    );
  });

  it('is rejected entry by entry by the reference W3C propagator', () => {
    for (const { label, value } of MALFORMED_TRACEPARENTS) {
      // Node hands non-ASCII header bytes to JavaScript as latin1.
      const text = typeof value === 'string' ? value : value.toString('latin1');
      expect(extract(text), label).toBeUndefined();
    }
  });

  it('differs from a value the propagator accepts', () => {
    expect(extract(VALID_TRACEPARENT)).toMatchObject(CALLER);
  });
});

describe('rawRequest', () => {
  let server: http.Server;
  let url: string;
  const received: http.IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      received.push(req.headers);
      res.statusCode = 418;
      res.end('body');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('sends header bytes as given and reads the status', async () => {
    const response = await rawRequest(url, {
      path: '/x?y=1',
      headers: [
        ['x-empty', ''],
        ['x-bytes', Buffer.from('é', 'utf8')],
      ],
    });
    expect(response.status).toBe(418);
    expect(received.at(-1)).toMatchObject({ 'x-empty': '', 'x-bytes': 'Ã©' });
  });
});

describe('parseResponseHead', () => {
  it('reads the status line', () => {
    expect(parseResponseHead('HTTP/1.1 204 No Content\r\nA: b\r\n\r\n')).toEqual({
      status: 204,
      head: 'HTTP/1.1 204 No Content\r\nA: b',
    });
  });
  it('rejects what is not a response', () => {
    expect(() => parseResponseHead('')).toThrow(/not an HTTP response/);
  });
});

describe('waitFor', () => {
  it('returns the first defined value', async () => {
    let looks = 0;
    await expect(waitFor('three looks', () => (++looks === 3 ? 'done' : undefined))).resolves.toBe(
      'done',
    );
    expect(looks).toBe(3);
  });
  it('gives up after its timeout, keeping the last error as cause', async () => {
    const error = await waitFor(
      'never',
      () => {
        throw new Error('still broken');
      },
      { timeoutMs: 20 },
    ).catch((e: unknown) => e as Error);
    expect(error.message).toBe('timed out after 20 ms waiting for never');
    expect((error.cause as Error).message).toBe('still broken');
  });
});
