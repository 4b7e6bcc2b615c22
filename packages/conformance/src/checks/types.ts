import type { Sampler } from '@opentelemetry/sdk-trace-base';
import type { OtelHttpOptions } from '@otel-http/core';
import type { CheckContext } from './context.js';

/** The options a check may set; the suite adds the providers and `ignore: '/health'`. */
export type CheckOptions = Omit<OtelHttpOptions, 'tracerProvider' | 'meterProvider'>;

/** One conformance check: a fresh SDK, a fresh server started with `options`, then `run`. */
export interface Check {
  /** Stable id used in the results table and in `AdapterHarness.exceptions`. */
  readonly id: string;
  /** What the check proves, in a few words (the test's title). */
  readonly title: string;
  /** Options for the adapter, on top of the providers and `ignore: '/health'`. */
  readonly options?: CheckOptions;
  /** Trace sampler for this check. Default: the SDK default (parent-based, always on). */
  readonly sampler?: () => Sampler;
  /** Sends the requests and asserts; throws (an assertion error) when the adapter fails. */
  run(t: CheckContext): Promise<void>;
}
