import { describe, expect, it } from 'vitest';
import {
  MISBEHAVIOURS,
  type Misbehaviour,
  OVERRIDE_LIMIT,
  runMisbehaviour,
} from '../src/scenarios/misbehaving.js';
import { TARGETS, type Target } from '../src/targets.js';

async function check(target: Target, misbehaviour: Misbehaviour): Promise<void> {
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
}

describe('misbehaving user code is contained', () => {
  const cases = TARGETS.flatMap((target) =>
    MISBEHAVIOURS.map((m) => [target.name, m.name, target, m] as const),
  );

  it.each(cases.filter(([, , , m]) => m.knownDefect === undefined))(
    '%s, %s',
    (_t, _m, target, misbehaviour) => check(target, misbehaviour),
  );

  // Known defects (`knownDefect` in src/scenarios/misbehaving.ts says what and where): expected to
  // fail until fixed; then `.fails` reports the case, and `knownDefect` goes.
  it.fails.each(cases.filter(([, , , m]) => m.knownDefect !== undefined))(
    '%s, %s (known defect)',
    (_t, _m, target, misbehaviour) => check(target, misbehaviour),
  );
});
