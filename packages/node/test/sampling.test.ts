import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '../src/index.js';
import { resetGlobals } from './support/globals.js';

let telemetry: Telemetry | undefined;
const saved = process.env.OTEL_TRACES_SAMPLER;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  if (saved === undefined) delete process.env.OTEL_TRACES_SAMPLER;
  else process.env.OTEL_TRACES_SAMPLER = saved;
  resetGlobals();
});

/** A root span, and a span continuing a caller's sampled trace received in `traceparent`. */
function rootAndContinued(): { root: boolean; continued: boolean } {
  const tracer = trace.getTracer('sampling');
  const remote = propagation.extract(context.active(), {
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  });
  const root = tracer.startSpan('root');
  const continued = tracer.startSpan('continued', {}, remote);
  const recording = { root: root.isRecording(), continued: continued.isRecording() };
  root.end();
  continued.end();
  return recording;
}

it('samplingRatio is parent-based: new traces at the ratio, continued traces as the caller decided', () => {
  telemetry = startTelemetry({
    traces: new InMemorySpanExporter(),
    metrics: 'none',
    samplingRatio: 0,
    logLevel: 'none',
  });
  expect(rootAndContinued()).toEqual({ root: false, continued: true });
});

it('OTEL_TRACES_SAMPLER=always_off applies to every span', () => {
  process.env.OTEL_TRACES_SAMPLER = 'always_off';
  telemetry = startTelemetry({
    traces: new InMemorySpanExporter(),
    metrics: 'none',
    logLevel: 'none',
  });
  expect(rootAndContinued()).toEqual({ root: false, continued: false });
});

it('the default samples everything', () => {
  telemetry = startTelemetry({
    traces: new InMemorySpanExporter(),
    metrics: 'none',
    logLevel: 'none',
  });
  expect(rootAndContinued()).toEqual({ root: true, continued: true });
});
