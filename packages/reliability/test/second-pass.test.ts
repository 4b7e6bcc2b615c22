import { describe, expect, it } from 'vitest';
import { SECOND_PASS } from '../src/scenarios/second-pass.js';
import { TARGETS } from '../src/targets.js';

describe('defects of the later hostile passes stay fixed', () => {
  const cases = TARGETS.flatMap((target) =>
    SECOND_PASS.filter((finding) => finding.skip?.(target) === undefined).map(
      (finding) => [target.name, finding.id, target, finding] as const,
    ),
  );
  it.each(cases)('%s, %s', async (_t, _f, target, finding) => {
    const result = await finding.run(target, 6);
    // The user's request is never broken: answered as often as without telemetry.
    expect(result.answered).toBe(result.controlAnswered ?? 6);
    expect(result.observed).toBe(result.expected);
  });
});
