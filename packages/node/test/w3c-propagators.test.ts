import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { resolveTelemetryConfig } from '../src/config.js';
import type { Env } from '../src/env.js';
import { TelemetryConfigError } from '../src/errors.js';
import type { TelemetryOptions } from '../src/options.js';
import { buildPropagator } from '../src/sdk-parts.js';

const propagatorFor = (env: Env, options: TelemetryOptions = {}) =>
  resolveTelemetryConfig(options, env).propagator;

/** What the registered propagator passes on for a `tracestate` only the current grammar allows. */
function passesOn(env: Env, options: TelemetryOptions = {}) {
  const propagator = buildPropagator(propagatorFor(env, options));
  const context = propagator.extract(
    ROOT_CONTEXT,
    {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02',
      tracestate: 'foo@@bar=1',
      baggage: 'k=Am%C3%A9lie;p',
    },
    defaultTextMapGetter,
  );
  const child = trace.setSpanContext(context, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '1111111111111111',
    traceFlags: 0,
    traceState: trace.getSpanContext(context)?.traceState,
  });
  const out: Record<string, string> = {};
  propagator.inject(child, out, defaultTextMapSetter);
  return out;
}

describe('the W3C propagators startTelemetry registers', () => {
  it.each<[string, Env, TelemetryOptions, string[]]>([
    ['default: the strict ones', {}, {}, ['tracecontext', 'baggage']],
    [
      'OTEL_PROPAGATORS=tracecontext-sdk',
      { OTEL_PROPAGATORS: 'tracecontext-sdk' },
      {},
      ['tracecontext-sdk'],
    ],
    [
      'OTEL_PROPAGATORS=tracecontext-sdk,baggage',
      { OTEL_PROPAGATORS: 'tracecontext-sdk,baggage' },
      {},
      ['tracecontext-sdk', 'baggage'],
    ],
    ["w3cPropagators: 'sdk'", {}, { w3cPropagators: 'sdk' }, ['tracecontext-sdk', 'baggage-sdk']],
    [
      "w3cPropagators: 'sdk' with OTEL_PROPAGATORS=tracecontext,tracecontext-sdk",
      { OTEL_PROPAGATORS: 'tracecontext,tracecontext-sdk' },
      { w3cPropagators: 'sdk' },
      ['tracecontext-sdk'],
    ],
    ["w3cPropagators: 'strict'", {}, { w3cPropagators: 'strict' }, ['tracecontext', 'baggage']],
  ])('%s', (_name, env, options, names) => {
    expect(propagatorFor(env, options)).toEqual(names);
  });

  it('refuses an unknown w3cPropagators value', () => {
    expect(() => propagatorFor({}, { w3cPropagators: 'lenient' as unknown as 'sdk' })).toThrow(
      TelemetryConfigError,
    );
  });

  it('strict by default: current tracestate grammar, the random flag, decoded baggage', () => {
    expect(passesOn({})).toEqual({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-02',
      tracestate: 'foo@@bar=1',
      baggage: 'k=Am%C3%A9lie;p',
    });
  });

  it("the SDK's with tracecontext-sdk and baggage-sdk", () => {
    const out = passesOn({ OTEL_PROPAGATORS: 'tracecontext-sdk,baggage-sdk' });
    expect(out.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-00');
    expect(out.tracestate ?? '').toBe('');
  });
});
