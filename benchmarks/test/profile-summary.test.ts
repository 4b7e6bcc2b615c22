import { describe, expect, it } from 'vitest';
import { type CpuProfile, frameOwner, summariseProfile } from '../src/profile-summary.mjs';

const frame = (url: string, functionName = 'f') => ({ url, functionName, lineNumber: 0 });

describe('frameOwner', () => {
  it.each([
    ['file:///repo/packages/core/dist/index.js', '@otel-http/core'],
    ['file:///repo/packages/express/dist/index.js', '@otel-http/express'],
    [
      'file:///repo/node_modules/.pnpm/@opentelemetry+sdk-metrics@2.12.1/node_modules/@opentelemetry/sdk-metrics/build/src/x.js',
      '@opentelemetry/sdk-metrics',
    ],
    ['file:///repo/node_modules/.pnpm/router@2.2.0/node_modules/router/index.js', 'router'],
    ['file:///repo/benchmarks/src/server/apps/koa.mjs', 'benchmark application'],
    ['node:_http_server', 'Node internals'],
  ])('%s belongs to %s', (url, owner) => {
    expect(frameOwner(frame(url))).toBe(owner);
  });

  it('names the runtime’s own frames', () => {
    expect(frameOwner(frame('', '(garbage collector)'))).toBe('GC');
    expect(frameOwner(frame('', '(idle)'))).toBe('idle');
    expect(frameOwner(frame('', 'writev'))).toBe('V8 / native');
  });
});

describe('summariseProfile', () => {
  // root → handle (core) → startSpan (sdk); root → (idle)
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('', '(root)'), children: [2, 4] },
      { id: 2, callFrame: frame('file:///r/packages/core/dist/index.js', 'start'), children: [3] },
      {
        id: 3,
        callFrame: frame(
          'file:///r/node_modules/.pnpm/x/node_modules/@opentelemetry/sdk-trace-base/build/Tracer.js',
          'startSpan',
        ),
      },
      { id: 4, callFrame: frame('', '(idle)') },
    ],
    samples: [2, 3, 3, 3, 4, 4],
    timeDeltas: [100, 100, 100, 100, 1000, 1000],
  };
  const summary = summariseProfile(profile);

  it('leaves idle time out of the busy time', () => {
    expect(summary.busyMicros).toBe(400);
  });

  it('splits self time by package', () => {
    expect(summary.byPackage).toEqual([
      { name: '@opentelemetry/sdk-trace-base', micros: 300, share: 0.75 },
      { name: '@otel-http/core', micros: 100, share: 0.25 },
    ]);
  });

  it('counts what otel-http functions call as their inclusive time', () => {
    expect(summary.inclusiveOtelHttp).toEqual([
      { name: 'start core/dist/index.js:1 [@otel-http/core]', micros: 400, share: 1 },
    ]);
  });
});
