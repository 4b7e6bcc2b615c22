import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConformance, renderConformance } from '../src/conformance-table.mjs';

/** A Vitest JSON report with one conformance suite. */
function report(suite, results) {
  return JSON.stringify({
    testResults: [
      {
        name: '/x/test/conformance.test.mjs',
        assertionResults: results.map(([title, status]) => ({
          ancestorTitles: [`otel-http conformance: ${suite} (installed)`],
          title,
          status,
        })),
      },
      {
        name: '/x/test/installed.test.mjs',
        assertionResults: [
          { ancestorTitles: ['apps'], title: 'express: a real app', status: 'passed' },
        ],
      },
    ],
  });
}

describe('the conformance table', () => {
  let directory;
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('merges the Node runs of each adapter and version, one row per check', () => {
    directory = mkdtempSync(join(tmpdir(), 'conformance-table-'));
    const checks = [
      ['route.users-id: GET /users/42 is named "GET /users/:id"', 'passed'],
      ['abort.slow: a client hanging up | ends one span', 'passed'],
    ];
    writeFileSync(join(directory, 'installed-newest-node20.json'), report('koa 3.3.0', checks));
    writeFileSync(
      join(directory, 'installed-newest-node24.json'),
      report('koa 3.3.0', [checks[0], [checks[1][0], 'failed']]),
    );
    writeFileSync(
      join(directory, 'installed-oldest-node20.json'),
      report('express 4.21.2', checks),
    );
    writeFileSync(join(directory, 'node20.json'), report('ignored 1.0.0', checks));

    const conformance = readConformance(directory);
    expect(conformance.columns.map((column) => column.name)).toEqual([
      'express 4.21.2',
      'koa 3.3.0',
    ]);
    const markdown = renderConformance(conformance, {
      date: '2026-11-21',
      nodes: 'Node 20 and 24',
    });
    expect(markdown).toContain('| express 4.21.2 | 2 of 2 |');
    expect(markdown).toContain('| koa 3.3.0 | 1 of 2 |');
    expect(markdown).toContain(
      '| `route.users-id` GET /users/42 is named "GET /users/:id" | ✓ | ✓ |',
    );
    expect(markdown).toContain(
      '| `abort.slow` a client hanging up \\| ends one span | ✓ | passed (Node 20), failed (Node 24) |',
    );
  });
});
