import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckTelemetry, type ConformanceServer, registerGlobals } from '@otel-http/conformance';
import Koa from 'koa';
import { afterAll, afterEach, expect, it } from 'vitest';
import { otel } from '../src/index.js';
import { listen } from './server.js';

const telemetry = new CheckTelemetry();
const unregisterGlobals = registerGlobals();
let server: ConformanceServer | undefined;
afterEach(async () => {
  await server?.close();
  telemetry.exporter.reset();
});
afterAll(async () => {
  await telemetry.shutdown();
  unregisterGlobals();
});

/** POSTs `chunks` one by one, each after a pause, once the headers were sent. */
async function postInPieces(url: string, chunks: string[], pauseMs: number): Promise<string> {
  const req = request(`${url}/upload`, { method: 'POST', agent: false });
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
  const app = new Koa();
  app.use(otel(telemetry.options));
  app.use(async (ctx) => {
    ctx.res.on('finish', () => tracer.startSpan('after finish').end());
    ctx.body = await new Promise<string>((resolve) => {
      let received = '';
      ctx.req.on('data', (chunk: Buffer) => {
        tracer.startSpan('chunk').end();
        received += chunk.toString();
      });
      ctx.req.on('end', () => {
        tracer.startSpan('body read').end();
        resolve(received);
      });
    });
  });
  server = await listen(app);

  expect(await postInPieces(server.url, ['one,', 'two,', 'three'], 40)).toBe('one,two,three');

  const spans = await telemetry.waitForSpans(6);
  const root = spans.find((span) => span.name === 'POST');
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
