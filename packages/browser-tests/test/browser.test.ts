/**
 * Browser-started traces: a real page in headless Chromium, with the OpenTelemetry web SDK's fetch
 * instrumentation, calls each framework's service on another loopback origin. The server span must
 * be the child of the page's fetch span, carry the page's baggage entries the service lists
 * (`baggageToAttributes`), and the page must read the trace back from the trace-response header.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  CheckTelemetry,
  type ConformanceServer,
  registerGlobals,
  whenListening,
} from '@otel-http/conformance';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallResult } from '../page/main.js';
import { SERVICES } from './services.js';

/** Debian's Chromium, which CI installs; elsewhere the suite runs where it is installed. */
const CHROMIUM = process.env.OTEL_HTTP_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) {
  throw new Error(`the browser tests need Chromium at ${CHROMIUM}; CI installs it`);
}

const BAGGAGE = { 'session.id': 'sess-7f3a', 'message.id': 'msg-0042', 'user.tier': 'gold' };

let unregisterGlobals: () => void;
let pageServer: ConformanceServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!available) return;
  unregisterGlobals = registerGlobals();
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('../page/main.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const html =
    '<!doctype html><title>otel-http browser test</title><script src="/main.js"></script>';
  const server: Server = createServer((req, res) => {
    if (req.url === '/main.js')
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  pageServer = await whenListening(server.listen(0, '127.0.0.1'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30_000,
  });
  page = await browser.newPage();
  await page.goto(`${pageServer.url}/`);
  await page.waitForFunction(() => typeof window.callService === 'function');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await pageServer?.close();
  unregisterGlobals?.();
});

/** The trace tree, as the closing note of a run prints it. */
function tree(result: CallResult, server: readonly ReadableSpan[]): string {
  const lines = result.spans.map(
    (span) => `browser  ${span.name} (${SpanKind[span.kind]}) ${span.traceId}/${span.spanId}`,
  );
  for (const span of server) {
    const parent = span.parentSpanContext?.spanId ?? 'root';
    lines.push(
      `  server ${span.name} (${SpanKind[span.kind]}) ${span.spanContext().traceId}/${span.spanContext().spanId} parent ${parent}`,
    );
  }
  return lines.join('\n');
}

describe.skipIf(!available)('a trace started in the browser', () => {
  for (const service of SERVICES) {
    it(`${service.name}: the server span is the child of the page's fetch span, with the listed baggage; the page reads the trace id from ${service.traceResponseHeader}`, async () => {
      const telemetry = new CheckTelemetry();
      const server = await service.start(
        {
          ...telemetry.options,
          baggageToAttributes: ['session.id', 'message.id'],
          traceResponseHeader: service.traceResponseHeader,
        },
        pageServer.url,
      );
      try {
        const result = await page.evaluate(([url, baggage]) => window.callService(url, baggage), [
          `${server.url}/chat/lobby`,
          BAGGAGE,
        ] as const);
        expect(result.status).toBe(200);
        expect(result.body).toEqual({ room: 'lobby', reply: 'hello' });

        const [fetchSpan, ...others] = result.spans;
        expect(others).toEqual([]);
        expect(fetchSpan?.kind).toBe(SpanKind.CLIENT);
        expect(
          fetchSpan?.attributes['http.response.status_code'] ??
            fetchSpan?.attributes['http.status_code'],
        ).toBe(200);

        await telemetry.waitForSpans(2, { timeoutMs: 5000 });
        const serverSpans = telemetry.serverSpans();
        const get = serverSpans.find((span) => span.attributes['http.request.method'] === 'GET');
        // The preflight (the page sends traceparent and baggage, which are not CORS-safelisted)
        // is a request of its own, without trace headers: a root span.
        const preflight = serverSpans.find(
          (span) => span.attributes['http.request.method'] === 'OPTIONS',
        );
        expect(preflight?.parentSpanContext).toBeUndefined();
        expect(get?.name).toBe('GET /chat/:room');
        expect(get?.spanContext().traceId).toBe(fetchSpan?.traceId);
        expect(get?.parentSpanContext?.spanId).toBe(fetchSpan?.spanId);
        expect(get?.parentSpanContext?.isRemote).toBe(true);
        expect(get?.attributes['session.id']).toBe('sess-7f3a');
        expect(get?.attributes['message.id']).toBe('msg-0042');
        expect(get?.attributes['user.tier']).toBeUndefined();

        const header =
          service.traceResponseHeader === 'traceparent'
            ? result.traceparent
            : result.serverTiming?.replace(/^trace;desc=/, '');
        const [, traceId, spanId] = header?.split('-') ?? [];
        expect(traceId).toBe(fetchSpan?.traceId);
        expect(spanId).toBe(get?.spanContext().spanId);
        console.log(
          `${service.name}\n${tree(result, [...(preflight ? [preflight] : []), ...(get ? [get] : [])])}`,
        );
      } finally {
        await server.close();
        await telemetry.shutdown();
      }
    });
  }
});
