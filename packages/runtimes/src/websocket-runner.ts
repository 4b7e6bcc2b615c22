/**
 * Runs the WebSocket suite on the runtime executing this file (Bun or Deno) against Hono on the
 * runtime's own server, with the runtime's `upgradeWebSocket` (`hono/bun`, `hono/deno`) wrapped by
 * `traceUpgradeWebSocket`, then writes a Vitest-style JSON report, as `runner.ts` does for the
 * conformance suite.
 *
 * Usage: <runtime> websocket-runner.mjs <report.json>
 */
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import {
  CHAT_MAX_PAYLOAD,
  type ConformanceServer,
  runWebSocketSuite,
} from '@otel-http/conformance';
import { withSpan } from '@otel-http/core';
import { otel, traceUpgradeWebSocket } from '@otel-http/hono';
import { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { Bun, Deno, runtime } from './runtime-globals.js';
import { runDeclared } from './vitest-shim.js';

if (runtime === 'node') throw new Error('websocket-runner runs on Bun or Deno');

// Each of Hono's adapters touches its runtime's globals when loaded: import only this one's.
const bunHelpers = runtime === 'bun' ? (await import('hono/bun')).createBunWebSocket() : undefined;
const denoUpgrade = runtime === 'deno' ? (await import('hono/deno')).upgradeWebSocket : undefined;

runWebSocketSuite({
  name: `hono (${runtime === 'bun' ? 'Bun' : 'Deno'}.serve, traceUpgradeWebSocket)`,
  protocolVersionKnown: false,
  // Bun.serve refuses an oversized frame itself; Deno.serve has no limit, so the handler does.
  closesOversizedWith: runtime === 'bun' ? 'runtime' : 'application',
  start: async (options, session): Promise<ConformanceServer> => {
    const app = new Hono();
    const upgrade = (bunHelpers?.upgradeWebSocket ?? denoUpgrade) as UpgradeWebSocket<
      unknown,
      unknown
    >;
    const upgradeWebSocket = traceUpgradeWebSocket(upgrade, {
      tracerProvider: options.tracerProvider,
      ...session,
    });
    app.use(otel(options));
    app.get(
      '/chat',
      upgradeWebSocket(() => ({
        onMessage(event, ws) {
          if (
            bunHelpers === undefined &&
            new TextEncoder().encode(String(event.data)).byteLength > CHAT_MAX_PAYLOAD
          ) {
            ws.close(1009, 'message too big');
            return;
          }
          withSpan('chat.reply', () => ws.send(`echo:${String(event.data)}`), {
            tracer: options.tracerProvider?.getTracer('chat'),
          });
        },
        onError() {},
      })),
    );
    const fetch = (request: Request, env: unknown) => app.fetch(request, env as never);
    if (bunHelpers !== undefined) {
      const running = Bun.serve({
        hostname: '127.0.0.1',
        port: 0,
        fetch,
        websocket: { ...bunHelpers.websocket, maxPayloadLength: CHAT_MAX_PAYLOAD },
      });
      return { url: `http://127.0.0.1:${running.port}`, close: () => running.stop(true) };
    }
    const stop = new AbortController();
    const running = Deno.serve(
      { hostname: '127.0.0.1', port: 0, signal: stop.signal, onListen: () => {} },
      fetch,
    );
    return {
      url: `http://127.0.0.1:${running.addr.port}`,
      close: () => {
        stop.abort();
        return running.finished;
      },
    };
  },
});

const [reportPath = ''] = process.argv.slice(2);
if (reportPath === '') {
  console.error('usage: websocket-runner.mjs <report.json>');
  process.exit(2);
}
const version = runtime === 'bun' ? Bun.version : Deno.version.deno;
const results = await runDeclared();
writeFileSync(reportPath, `${JSON.stringify({ runtime, version, results }, null, 2)}\n`);
process.exit(0);
