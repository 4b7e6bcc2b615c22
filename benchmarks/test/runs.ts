import type { Framework, Mode } from '../src/matrix.mjs';
import type { Run } from '../src/stats.mjs';

/** A plausible accepted run; tests override what they are about. */
export function makeRun(
  overrides: Partial<Run> & { framework?: Framework; mode?: Mode } = {},
): Run {
  const mode = overrides.mode ?? 'bare';
  const traced = mode !== 'bare' && mode !== 'metrics';
  const handled = overrides.handled ?? 10_000;
  return {
    framework: 'express',
    mode,
    round: 0,
    position: 0,
    attempt: 1,
    rejected: [],
    requests: handled,
    durationSeconds: 1,
    requestsPerSecond: handled,
    latencyP50Ms: 4,
    latencyP99Ms: 9,
    errors: 0,
    non2xx: 0,
    handled,
    serverCpuMicros: handled * 80,
    cpuPerRequestUs: 80,
    helperCpuPerRequestUs: 1.5,
    serverCpuShare: 0.99,
    foreignCpuShare: 0.01,
    spans: { server: traced ? handled : 0, other: 0 },
    durationPoints: mode === 'bare' ? 0 : handled,
    ...overrides,
  };
}
