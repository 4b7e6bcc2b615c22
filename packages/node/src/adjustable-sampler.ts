import type { Context } from '@opentelemetry/api';
import {
  type Sampler,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { SAMPLER_IGNORES_ATTRIBUTES } from '@otel-http/core';

/**
 * Why `value` cannot be a sampling ratio, or `undefined` when it can (a number from 0 to 1).
 * Shared by the API, the ratio file and the options, so that all three refuse the same values.
 */
export function ratioProblem(value: unknown): string | undefined {
  if (typeof value !== 'number') return `expected a number from 0 to 1, got a ${typeof value}`;
  if (Number.isNaN(value)) return 'expected a number from 0 to 1, got NaN';
  if (value < 0 || value > 1) return `expected a number from 0 to 1, got ${value}`;
  return undefined;
}

/** Longest ratio text read (a ratio file is a few characters; anything longer is not one). */
const MAX_RATIO_TEXT = 64;

/**
 * A ratio written as text (`OTEL_TRACES_SAMPLER_ARG`, the ratio file): decimal digits with an
 * optional fraction (`0.25`, `.5`, `1`), blanks and line ends around it ignored. No sign, exponent
 * or `%`, so that `10%` or `1e-2` is refused rather than read as something nobody wrote.
 */
export function parseRatioText(text: string): { ratio: number } | { problem: string } {
  if (text.length > MAX_RATIO_TEXT) {
    return { problem: `it is ${text.length} characters long, not a number from 0 to 1` };
  }
  const trimmed = text.trim();
  if (trimmed === '') return { problem: 'it is empty' };
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(trimmed)) {
    return { problem: `${JSON.stringify(trimmed)} is not a number from 0 to 1` };
  }
  const ratio = Number(trimmed);
  if (ratio > 1) return { problem: `${trimmed} is larger than 1` };
  return { ratio };
}

/** The ratio and the SDK sampler deciding at it, replaced together. */
interface RatioState {
  readonly ratio: number;
  readonly sampler: TraceIdRatioBasedSampler;
}

/**
 * The SDK's trace-id ratio sampler with a ratio that can be changed while it runs. Each decision
 * asks the SDK's `TraceIdRatioBasedSampler` built for the ratio in effect, so a trace id gets the
 * same decision as the SDK's own sampler gives it at that ratio, and a change applies from the next
 * decision on. Wrap it in a `ParentBasedSampler` to follow callers' decisions (what the ratio
 * samplers of `startTelemetry` do, except `traceidratio`).
 */
export class AdjustableRatioSampler implements Sampler {
  /** It decides by trace id alone: otel-http then sets start attributes only on recorded spans. */
  readonly [SAMPLER_IGNORES_ATTRIBUTES] = true;
  private state: RatioState;

  /** Throws a `RangeError` when `ratio` is not a number from 0 to 1. */
  constructor(ratio: number) {
    this.state = stateFor(ratio);
  }

  /** The ratio in effect. */
  get ratio(): number {
    return this.state.ratio;
  }

  /** Uses `ratio` for the decisions that follow. Throws a `RangeError` outside 0–1. */
  setRatio(ratio: number): void {
    this.state = stateFor(ratio);
  }

  /** The SDK ratio sampler's decision for `traceId` at the ratio in effect. */
  shouldSample(context: Context, traceId: string): SamplingResult {
    return this.state.sampler.shouldSample(context, traceId);
  }

  toString(): string {
    return `AdjustableTraceIdRatioBased{${this.state.ratio}}`;
  }
}

function stateFor(ratio: number): RatioState {
  const problem = ratioProblem(ratio);
  if (problem !== undefined) throw new RangeError(`sampling ratio: ${problem}`);
  return { ratio, sampler: new TraceIdRatioBasedSampler(ratio) };
}
