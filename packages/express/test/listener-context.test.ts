import { once } from 'node:events';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckTelemetry, registerGlobals } from '@otel-http/conformance';
import express from 'express';
import { afterAll, afterEach, expect, it } from 'vitest';
import { otel } from '../src/index.js';

const telemetry = new CheckTelemetry();
const unregisterGlobals = registerGlobals();
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  telemetry.exporter.reset();
});
afterAll(async () => {
  await telemetry.shutdown();
  unregisterGlobals();
});

/** POSTs `chunks` one by one, each after a pause, once the headers were sent. */
async function postInPieces(port: number, chunks: string[], pauseMs: number): Promise<string> {
  const req = request({ host: '127.0.0.1', port, path: '/upload', method: 'POST', agent: false });
  const response = new Promise<string>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  for (const chunk of chunks) {
    await sleep(pauseMs);
    req.write(chunk);
  }
  req.end();
  return response;
}

it("starts spans of req 'data'/'end' and res 'finish' listeners in the request's trace", async () => {
  const tracer = telemetry.tracerProvider.getTracer('app');
  const app = express();
  app.use(otel(telemetry.options));
  app.post('/upload', (req, res) => {
    res.on('finish', () => tracer.startSpan('after finish').end());
    let received = '';
    req.on('data', (chunk: Buffer) => {
      tracer.startSpan('chunk').end();
      received += chunk.toString();
    });
    req.on('end', () => {
      tracer.startSpan('body read').end();
      res.send(received);
    });
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');

  const { port } = server.address() as AddressInfo;
  expect(await postInPieces(port, ['one,', 'two,', 'three'], 40)).toBe('one,two,three');

  const spans = await telemetry.waitForSpans(6);
  const root = spans.find((span) => span.name === 'POST /upload');
  expect(root).toBeDefined();
  const children = spans.filter((span) => span !== root);
  expect(new Set(children.map((span) => span.name))).toEqual(
    new Set(['chunk', 'body read', 'after finish']),
  );
  for (const child of children) {
    expect(child.spanContext().traceId, child.name).toBe(root?.spanContext().traceId);
    expect(child.parentSpanContext?.spanId, child.name).toBe(root?.spanContext().spanId);
  }
});

it('binds the listeners a sub-app adds to a request it passes on, without an emit of their own where that costs a hidden class', async () => {
  const tracer = telemetry.tracerProvider.getTracer('app');
  const app = express();
  const sub = express();
  const own: boolean[] = [];
  const added: number[] = [];
  const ours = (emitter: object) =>
    Object.getOwnPropertySymbols(emitter).filter((key) =>
      String(key.description).includes('otel-http'),
    ).length;
  sub.use((req, res, next) => {
    res.on('finish', () => tracer.startSpan('sub finish').end());
    req.on('end', () => tracer.startSpan('sub body read').end());
    next();
  });
  app.use(otel(telemetry.options));
  app.use(sub);
  app.post('/upload', (req, res) => {
    own.push(Object.hasOwn(req, 'emit'), Object.hasOwn(res, 'emit'));
    added.push(ours(req), ours(res));
    req.resume();
    req.on('end', () => res.send('done'));
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');

  const { port } = server.address() as AddressInfo;
  expect(await postInPieces(port, ['a', 'b'], 20)).toBe('done');
  const spans = await telemetry.waitForSpans(3);
  const root = spans.find((span) => span.name === 'POST /upload');
  const children = spans.filter((span) => span !== root);
  expect(new Set(children.map((span) => span.name))).toEqual(
    new Set(['sub finish', 'sub body read']),
  );
  for (const child of children) {
    expect(child.parentSpanContext?.spanId, child.name).toBe(root?.spanContext().spanId);
  }
  // V8 13 (Node 24) shares the hidden classes of objects whose prototype changed; older V8 does
  // not, and there Express's prototypes carry the emit instead.
  const sharesHiddenClasses = Number(process.versions.v8.split('.')[0]) >= 13;
  expect(own).toEqual([sharesHiddenClasses, sharesHiddenClasses]);
  // One property of ours on the request (the context its listeners run in, where the adapter
  // finds its state too); the response follows its request where each property costs.
  expect(added).toEqual([1, sharesHiddenClasses ? 1 : 0]);
});
