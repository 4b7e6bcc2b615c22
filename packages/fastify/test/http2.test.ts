import { connect } from 'node:http2';
import { CheckTelemetry } from '@otel-http/conformance';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { otel } from '../src/index.js';
import { onlySpan } from './telemetry.js';

const telemetry = new CheckTelemetry();
const app = Fastify({ http2: true, forceCloseConnections: true });

afterEach(async () => {
  await app.close();
});

/** One GET over a fresh cleartext HTTP/2 session. */
function getOverHttp2(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(url);
    session.on('error', reject);
    const stream = session.request({ ':path': path });
    let body = '';
    let status = 0;
    stream.setEncoding('utf8');
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    stream.on('end', () => {
      session.close();
      resolve({ status, body });
    });
    stream.end();
  });
}

describe('an HTTP/2 Fastify instance', () => {
  it('records a completed request with protocol version 2 and its route', async () => {
    await app.register(otel, telemetry.options);
    app.get('/users/:id', async () => ({ ok: true }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });

    expect(await getOverHttp2(url, '/users/1')).toEqual({ status: 200, body: '{"ok":true}' });

    const span = onlySpan(await telemetry.waitForSpans(1), 'GET /users/:id');
    expect(span.attributes['network.protocol.version']).toBe('2');
    expect(span.attributes['http.response.status_code']).toBe(200);
    expect(span.attributes['error.type']).toBeUndefined();
  });
});
