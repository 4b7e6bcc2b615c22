import { metrics, propagation, trace } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTelemetry, type Telemetry } from '../src/index.js';
import { captureDiag, resetGlobals } from './support/globals.js';
import { type OtlpReceiver, startOtlpReceiver, waitFor } from './support/loopback.js';

/** An exporter whose exports never finish: a collector that accepts and never answers. */
class HangingExporter implements SpanExporter {
  received = 0;
  export(spans: ReadableSpan[], _done: (result: ExportResult) => void): void {
    this.received += spans.length;
  }
  shutdown(): Promise<void> {
    return new Promise(() => {});
  }
}

const recording = () => trace.getTracer('probe').startSpan('probe').isRecording();

let receiver: OtlpReceiver;
let telemetry: Telemetry | undefined;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await telemetry?.shutdown({ timeoutMillis: 200 });
  telemetry = undefined;
  receiver.requests.length = 0;
  resetGlobals();
});
afterAll(async () => {
  await receiver.close();
});

describe('shutdown()', () => {
  it('flushes queued spans and metrics that would otherwise wait a minute', async () => {
    telemetry = startTelemetry({
      traces: 'otlp',
      metrics: 'otlp',
      otlp: { endpoint: receiver.url },
      exportQueue: { scheduledDelayMillis: 60_000 },
      metricExportIntervalMillis: 60_000,
      logLevel: 'none',
    });
    const tracer = trace.getTracer('app');
    for (let i = 0; i < 5; i++) tracer.startSpan(`job ${i}`).end();
    metrics.getMeter('app').createCounter('jobs.done').add(5);
    expect(telemetry.exportStats()).toMatchObject({ queued: 5, exported: 0 });
    expect(receiver.requests).toHaveLength(0);

    await telemetry.shutdown();

    expect(
      receiver
        .spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['job 0', 'job 1', 'job 2', 'job 3', 'job 4']);
    const counter = receiver.metrics().find((m) => m.name === 'jobs.done');
    expect(counter?.points[0]?.value).toBe(5);
    expect(telemetry.exportStats()).toMatchObject({
      queued: 0,
      exported: 5,
      dropped: 0,
      failed: 0,
    });
    // The globals are unregistered: new spans are no-ops.
    expect(recording()).toBe(false);
  });

  it('returns within its timeout when the exporter hangs, and says what was lost', async () => {
    const diagnostics = captureDiag();
    const hanging = new HangingExporter();
    telemetry = startTelemetry({
      traces: hanging,
      metrics: 'none',
      exportQueue: { scheduledDelayMillis: 60_000, maxExportBatchSize: 2 },
      diagLogger: diagnostics.logger,
    });
    const tracer = trace.getTracer('app');
    for (let i = 0; i < 6; i++) tracer.startSpan('stuck').end();

    await telemetry.shutdown({ timeoutMillis: 300 });

    expect(hanging.received).toBeGreaterThan(0);
    expect(diagnostics.matching('shutdown did not finish within 300 ms')).toHaveLength(1);
    expect(recording()).toBe(false);
  });

  it('is idempotent', async () => {
    telemetry = startTelemetry({ traces: 'none', metrics: 'none', logLevel: 'none' });
    const first = telemetry.shutdown();
    expect(telemetry.shutdown()).toBe(first);
    await first;
  });

  it('runs on a configured signal and leaves the process to the other listeners', async () => {
    // Another listener is there, as in an application with graceful shutdown: the signal is not
    // raised again, the process stays up.
    const appListener = () => {};
    process.on('SIGUSR2', appListener);
    try {
      telemetry = startTelemetry({
        traces: 'otlp',
        metrics: 'none',
        otlp: { endpoint: receiver.url },
        exportQueue: { scheduledDelayMillis: 60_000 },
        shutdownOnSignals: ['SIGUSR2'],
        logLevel: 'none',
      });
      expect(process.listenerCount('SIGUSR2')).toBe(2);
      trace.getTracer('app').startSpan('before the signal').end();
      process.emit('SIGUSR2', 'SIGUSR2');
      await waitFor(() => receiver.spans().length === 1, 'the flush on SIGUSR2');
      expect(receiver.spans()[0]?.name).toBe('before the signal');
      await waitFor(() => !recording(), 'the globals to be unregistered');
      expect(process.listenerCount('SIGUSR2')).toBe(1);
    } finally {
      process.off('SIGUSR2', appListener);
    }
  });

  it('removes its signal listeners when shut down by hand', async () => {
    const before = process.listenerCount('SIGTERM');
    telemetry = startTelemetry({
      traces: 'none',
      metrics: 'none',
      shutdownOnSignals: true,
      logLevel: 'none',
    });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(process.listenerCount('SIGINT')).toBeGreaterThan(0);
    await telemetry.shutdown();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

describe('starting twice and coexisting', () => {
  it('refuses a second start while running, and starts again after shutdown', async () => {
    telemetry = startTelemetry({ traces: 'none', metrics: 'none', logLevel: 'none' });
    expect(() => startTelemetry({ traces: 'none', metrics: 'none' })).toThrow(
      /already started \(by startTelemetry\(\)\).*shutdown\(\)/,
    );
    // The running instance is untouched by the refused call.
    expect(recording()).toBe(true);
    await telemetry.shutdown();
    telemetry = startTelemetry({ traces: 'none', metrics: 'none', logLevel: 'none' });
    expect(recording()).toBe(true);
  });

  it('refuses to start over another SDK and leaves it registered', () => {
    const other = new BasicTracerProvider();
    trace.setGlobalTracerProvider(other);
    expect(() => startTelemetry({ traces: 'none', metrics: 'none', logLevel: 'none' })).toThrow(
      /another OpenTelemetry SDK already registered the global tracer provider/,
    );
    expect(recording()).toBe(true); // still the other provider
    // What this call had registered before finding the other SDK was undone.
    expect(propagation.fields()).toEqual([]);
    // Nothing of ours stayed behind: a start after the other SDK is gone works.
    trace.disable();
    telemetry = startTelemetry({ traces: 'none', metrics: 'none', logLevel: 'none' });
  });

  it('with OTEL_SDK_DISABLED=true registers nothing', async () => {
    const saved = process.env.OTEL_SDK_DISABLED;
    process.env.OTEL_SDK_DISABLED = 'true';
    try {
      const disabled = startTelemetry();
      expect(disabled.disabled).toBe(true);
      expect(recording()).toBe(false);
      expect(await disabled.ready).toEqual({});
      await disabled.shutdown();
      // An explicit option wins over the variable.
      telemetry = startTelemetry({
        disabled: false,
        traces: 'none',
        metrics: 'none',
        logLevel: 'none',
      });
      expect(telemetry.disabled).toBe(false);
      expect(recording()).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.OTEL_SDK_DISABLED;
      else process.env.OTEL_SDK_DISABLED = saved;
    }
  });
});
