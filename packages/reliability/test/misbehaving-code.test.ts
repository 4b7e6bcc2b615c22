import { describe, expect, it } from 'vitest';
import { MISBEHAVIOURS, OVERRIDE_LIMIT, runMisbehaviour } from '../src/scenarios/misbehaving.js';
import { TARGETS } from '../src/targets.js';

describe('misbehaving user code is contained', () => {
  const cases = TARGETS.flatMap((target) =>
    MISBEHAVIOURS.map((m) => [target.name, m.name, target, m] as const),
  );

  it.each(cases)('%s, %s', async (_t, _m, target, misbehaviour) => {
    const result = await runMisbehaviour(target, misbehaviour);
    expect(result.brokenResponses).toEqual([]);
    expect(result.spans).toBe(3);
    // A name is the method (at most `OPTIONS `) and a route, both bounded.
    expect(result.longestSpanName).toBeLessThanOrEqual(OVERRIDE_LIMIT + 'OPTIONS '.length);
    expect(result.longestMetricRoute).toBeLessThanOrEqual(OVERRIDE_LIMIT);
    const route = misbehaviour.route ?? '/users/:id';
    expect(result.spanNames).toContain(misbehaviour.spanName ?? 'GET /users/:id');
    expect(result.routesOnSpans).toContain(misbehaviour.spanRoute ?? route);
    expect(result.routesOnMetric).toContain(route);
    expect(result.reported).toBe(true);
  });
});
