import { describe, expect, it } from 'vitest';
import { ResultsTable } from '../src/results.js';

describe('ResultsTable', () => {
  it('prints every declared check in order, with notes and a summary', () => {
    const table = new ResultsTable('demo');
    for (const id of ['route.a', 'status.long-check-id', 'abort.c', 'metrics.d']) table.declare(id);
    table.start('route.a');
    table.report('route.a', 'pass');
    table.start('status.long-check-id');
    table.report('status.long-check-id', 'exception', 'framework cannot');
    table.start('abort.c');
    expect(table.format()).toBe(
      [
        'otel-http conformance: demo',
        'check                 result',
        '--------------------  ---------',
        'route.a               pass',
        'status.long-check-id  exception  (framework cannot)',
        'abort.c               fail  (did not finish)',
        'metrics.d             not run',
        '4 checks: 1 pass, 1 fail, 1 exception, 1 not run',
      ].join('\n'),
    );
  });

  it('refuses duplicate and unknown ids', () => {
    const table = new ResultsTable('demo');
    table.declare('a');
    expect(() => table.declare('a')).toThrow(/duplicate/);
    expect(() => table.report('b', 'pass')).toThrow(/unknown/);
  });
});
