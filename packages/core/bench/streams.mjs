// Micro-benchmark: what one message of a long-lived request costs — an SSE message through
// `eventStream` and a WebSocket message each way through `traceWebSocket` and through the recorder
// Hono's `traceUpgradeWebSocket` drives — against the same work
// without telemetry, measured in the same run. The socket's own I/O is left out (a WebSocket here
// is an event emitter whose `send` does nothing), so the figures are the instrumentation's alone.
// Run after a build: `pnpm --filter @otel-http/core bench:streams`.
import { EventEmitter } from 'node:events';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import {
  createServerInstrumentation,
  eventStream,
  formatEvent,
  startWebSocketSession,
} from '../dist/index.js';
import { traceWebSocket } from '../dist/node.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MESSAGES = Number(process.env.MESSAGES ?? 100_000);

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const processor = { onStart() {}, onEnd() {}, async forceFlush() {}, async shutdown() {} };
const sampled = new BasicTracerProvider({ spanProcessors: [processor] });
const unsampled = new BasicTracerProvider({
  spanProcessors: [processor],
  sampler: new AlwaysOffSampler(),
});
const meterProvider = new MeterProvider();
const info = {
  method: 'GET',
  scheme: 'http',
  path: '/events',
  header: () => undefined,
  protocolVersion: '1.1',
};

const message = { id: '1', event: 'tick', data: '{"n":1,"of":100}' };
function* messages(count) {
  for (let i = 0; i < count; i++) yield message;
}

/** ns per SSE message: `count` messages formatted and read, in a request of `provider`. */
async function sse(provider, streamOptions) {
  const instrumentation = createServerInstrumentation({ tracerProvider: provider, meterProvider });
  const handle = instrumentation.start(info);
  const start = process.hrtime.bigint();
  await context.with(handle.context, async () => {
    let bytes = 0;
    for await (const frame of eventStream(messages(MESSAGES), streamOptions)) bytes += frame.length;
    if (bytes === 0) throw new Error('nothing sent');
  });
  const ns = Number(process.hrtime.bigint() - start) / MESSAGES;
  handle.end({ statusCode: 200 });
  return ns;
}

/** ns per SSE message without telemetry: the same formatting, the same async iteration. */
async function sseBare() {
  const start = process.hrtime.bigint();
  let bytes = 0;
  const frames = (async function* () {
    for (const m of messages(MESSAGES)) yield formatEvent(m);
  })();
  for await (const frame of frames) bytes += frame.length;
  if (bytes === 0) throw new Error('nothing sent');
  return Number(process.hrtime.bigint() - start) / MESSAGES;
}

class FakeSocket extends EventEmitter {
  sent = 0;
  send() {
    this.sent++;
  }
}
const payload = Buffer.from('{"text":"hello there","room":"lobby"}');

/** ns per WebSocket message pair (one received, one sent from its listener). */
function ws(traced, provider, sessionOptions) {
  const socket = new FakeSocket();
  if (traced) {
    const instrumentation = createServerInstrumentation({
      tracerProvider: provider,
      meterProvider,
    });
    const handle = instrumentation.start(info);
    context.with(handle.context, () =>
      traceWebSocket(socket, { route: '/chat', tracerProvider: provider, ...sessionOptions }),
    );
  }
  socket.on('message', (data) => socket.send(data));
  const start = process.hrtime.bigint();
  for (let i = 0; i < MESSAGES; i++) socket.emit('message', payload, false);
  const ns = Number(process.hrtime.bigint() - start) / MESSAGES;
  socket.emit('close', 1000, Buffer.alloc(0));
  if (socket.sent !== MESSAGES) throw new Error('messages were lost');
  return ns;
}

/**
 * ns per message pair through `startWebSocketSession`'s recorder, driven as the Hono adapter's
 * `traceUpgradeWebSocket` drives it from Hono's event handlers: count the message, run the
 * handler in the connection's context, count the reply it sends.
 */
function recorder(provider, sessionOptions) {
  const instrumentation = createServerInstrumentation({ tracerProvider: provider, meterProvider });
  const handle = instrumentation.start(info);
  const session = startWebSocketSession({
    route: '/chat',
    tracerProvider: provider,
    context: handle.context,
    ...sessionOptions,
  });
  const socket = new FakeSocket();
  const send = (data) => {
    session.message('sent', data, true);
    socket.send(data);
  };
  const onMessage = (data) => send(data);
  const start = process.hrtime.bigint();
  for (let i = 0; i < MESSAGES; i++) {
    session.message('received', payload, true);
    context.with(session.context, onMessage, undefined, payload);
  }
  const ns = Number(process.hrtime.bigint() - start) / MESSAGES;
  session.close(1000, '');
  if (socket.sent !== MESSAGES) throw new Error('messages were lost');
  return ns;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cases = {
  'SSE, no telemetry': () => sseBare(),
  'SSE, sampled (events capped at 100)': () => sse(sampled),
  'SSE, sampled, an event per message': () => sse(sampled, { maxMessageEvents: MESSAGES }),
  'SSE, unsampled': () => sse(unsampled),
  'WebSocket, no telemetry': () => ws(false),
  'WebSocket, sampled (events capped at 100)': () => ws(true, sampled),
  'WebSocket, sampled, an event per message': () =>
    ws(true, sampled, { maxMessageEvents: 2 * MESSAGES }),
  'WebSocket, unsampled': () => ws(true, unsampled),
  'WebSocket events (Hono), sampled, capped': () => recorder(sampled),
  'WebSocket events (Hono), an event per message': () =>
    recorder(sampled, { maxMessageEvents: 2 * MESSAGES }),
  'WebSocket events (Hono), unsampled': () => recorder(unsampled),
};

for (const run of Object.values(cases)) await run(); // warm-up
const results = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(cases)) results[name].push(await run());
}

console.log(`node ${process.version}, ${ROUNDS} rounds × ${MESSAGES} messages, median ns/message`);
const baseline = { SSE: median(results['SSE, no telemetry']) };
baseline.WebSocket = median(results['WebSocket, no telemetry']);
for (const [name, values] of Object.entries(results)) {
  const kind = name.startsWith('SSE') ? 'SSE' : 'WebSocket';
  const ns = median(values);
  const added = ns - baseline[kind];
  console.log(
    `${name.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns  ${name.includes('no telemetry') ? '' : `${added >= 0 ? '+' : ''}${added.toFixed(0)} ns added, ${(ns / baseline[kind]).toFixed(2)}×`}`,
  );
}
