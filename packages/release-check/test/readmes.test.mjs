// The options table is written in several READMEs (the root, core, each adapter) so that each
// reads on its own, e.g. on npm. Each must list every option OtelHttpOptions has.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../src/workspace.mjs';

const read = (path) => readFileSync(new URL(path, `file://${ROOT}`), 'utf8');

/** The property names of `OtelHttpOptions`, from its declaration. */
function optionNames() {
  const source = read('packages/core/src/types.ts');
  const body = /export interface OtelHttpOptions \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
  return [...body.matchAll(/^ {2}(?:readonly )?(\w+)\?:/gm)].map((match) => match[1]);
}

/** The backticked names in the first column of the README's table under an "Options" heading. */
function documentedOptions(markdown) {
  const section = /^##+ Options[^\n]*\n([\s\S]*?)(?=^## )/m.exec(`${markdown}\n## end`)?.[1] ?? '';
  const firstCells = [...section.matchAll(/^\|\s*([^|]*?)\s*\|/gm)].map((match) => match[1]);
  return new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`(\w+)/g)].map((m) => m[1])));
}

describe('options tables', () => {
  const names = optionNames();

  it('finds the options in the core types', () => {
    expect(names).toContain('tracerProvider');
    expect(names).toContain('semconvStability');
    expect(names.length).toBeGreaterThanOrEqual(20);
  });

  it.each([
    'README.md',
    'packages/core/README.md',
    'packages/express/README.md',
    'packages/fastify/README.md',
    'packages/hono/README.md',
    'packages/koa/README.md',
  ])('%s lists every option', (path) => {
    const documented = documentedOptions(read(path));
    expect(names.filter((name) => !documented.has(name))).toEqual([]);
  });
});
