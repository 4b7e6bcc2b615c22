import { describe, expect, it } from 'vitest';
import {
  bump,
  changelogProblems,
  internalRangeProblems,
  parseChangeset,
  planReleases,
} from '../src/changeset-rules.mjs';

describe('parseChangeset', () => {
  it('reads quoted and bare package names, and the summary', () => {
    const text =
      '---\n"@otel-http/core": minor\n@otel-http/koa: patch\n---\n\nA change.\n\nMore.\n';
    expect(parseChangeset('a.md', text)).toEqual({
      file: 'a.md',
      releases: [
        { name: '@otel-http/core', type: 'minor' },
        { name: '@otel-http/koa', type: 'patch' },
      ],
      summary: 'A change.\n\nMore.',
    });
  });

  it.each([
    ['no front matter', 'Just text.\n', /a\.md: no front matter/],
    ['an unknown bump', '---\n"@otel-http/core": huge\n---\nx\n', /cannot read front matter line/],
  ])('rejects %s', (_name, text, message) => {
    expect(() => parseChangeset('a.md', text)).toThrow(message);
  });
});

describe('bump', () => {
  it.each([
    ['0.1.0', 'patch', '0.1.1'],
    ['0.1.0', 'minor', '0.2.0'],
    ['0.1.3', 'minor', '0.2.0'],
    ['0.1.3', 'major', '1.0.0'],
    ['1.2.3', 'patch', '1.2.4'],
  ])('%s + %s = %s', (version, type, next) => {
    expect(bump(version, type)).toBe(next);
  });

  it('refuses a prerelease it cannot reason about', () => {
    expect(() => bump('1.0.0-beta.1', 'patch')).toThrow(/cannot bump/);
  });
});

describe('planReleases', () => {
  const packages = [
    { name: 'core', version: '0.1.0', dependsOn: [] },
    { name: 'express', version: '0.1.0', dependsOn: ['core'] },
    { name: 'testing', version: '0.3.0', dependsOn: ['express'] },
    { name: 'alone', version: '1.0.0', dependsOn: [] },
  ];
  const changeset = (file, releases, summary) => ({ file, releases, summary });

  it('takes the highest bump per package, releases dependents as patches, transitively', () => {
    const plan = planReleases(packages, [
      changeset('a.md', [{ name: 'core', type: 'patch' }], 'fix'),
      changeset('b.md', [{ name: 'core', type: 'minor' }], 'feature'),
    ]);
    expect(Object.fromEntries(plan)).toEqual({
      core: {
        from: '0.1.0',
        to: '0.2.0',
        type: 'minor',
        summaries: ['fix', 'feature'],
        dependencies: [],
      },
      express: { from: '0.1.0', to: '0.1.1', type: 'patch', summaries: [], dependencies: ['core'] },
      testing: {
        from: '0.3.0',
        to: '0.3.1',
        type: 'patch',
        summaries: [],
        dependencies: ['express'],
      },
    });
  });

  it('keeps a dependent own bump when it is higher', () => {
    const plan = planReleases(packages, [
      changeset('a.md', [{ name: 'core', type: 'patch' }], 'fix'),
      changeset('b.md', [{ name: 'express', type: 'minor' }], 'express feature'),
    ]);
    expect(plan.get('express')).toMatchObject({ to: '0.2.0', dependencies: ['core'] });
  });

  it('refuses a changeset for a package that is not published', () => {
    expect(() =>
      planReleases(packages, [changeset('a.md', [{ name: 'nope', type: 'patch' }], 'x')]),
    ).toThrow(/a\.md: nope is not a public workspace package/);
  });
});

describe('changelogProblems', () => {
  const releases = new Map([
    [
      'core',
      {
        from: '0.1.0',
        to: '0.2.0',
        type: 'minor',
        summaries: ['Feature one.\n\nDetails.'],
        dependencies: [],
      },
    ],
    [
      'express',
      { from: '0.1.0', to: '0.1.1', type: 'patch', summaries: [], dependencies: ['core'] },
    ],
  ]);
  const core = releases.get('core');
  const express = releases.get('express');

  it.each([
    [
      'a complete section',
      'core',
      core,
      '# core\n\n## 0.2.0\n\n### Minor Changes\n\n- Feature one.\n\n  Details.\n',
      [],
    ],
    [
      'a dependency section',
      'express',
      express,
      '# express\n\n## 0.1.1\n\n### Patch Changes\n\n- Updated dependencies\n  - core@0.2.0\n',
      [],
    ],
    ['no changelog', 'core', core, undefined, ['core: no CHANGELOG.md was written']],
    [
      'an older version on top',
      'core',
      core,
      '# core\n\n## 0.1.0\n\n- Feature one.\n',
      ['core: CHANGELOG.md opens with 0.1.0, not 0.2.0'],
    ],
    [
      'a summary missing',
      'core',
      core,
      '# core\n\n## 0.2.0\n\n- Something else.\n\n## 0.1.0\n\n- Feature one.\n',
      ['core: the 0.2.0 section lacks "Feature one.…"'],
    ],
    [
      'the dependency version missing',
      'express',
      express,
      '# express\n\n## 0.1.1\n\n- Updated dependencies\n',
      ['express: the 0.1.1 section lacks core@0.2.0'],
    ],
  ])('%s', (_name, name, release, changelog, problems) => {
    expect(changelogProblems(name, release, changelog, releases)).toEqual(problems);
  });
});

describe('internalRangeProblems', () => {
  const versions = new Map([
    ['@otel-http/core', '0.2.0'],
    ['@otel-http/express', '0.2.0'],
  ]);
  const manifest = (fields) => ({ name: '@otel-http/express', ...fields });

  it.each([
    [
      'a caret on the new version',
      { dependencies: { '@otel-http/core': '^0.2.0', express: '^5.0.0' } },
      [],
    ],
    ['an exact new version', { dependencies: { '@otel-http/core': '0.2.0' } }, []],
    [
      'a workspace range left in',
      { dependencies: { '@otel-http/core': 'workspace:^' } },
      ['@otel-http/express: dependencies.@otel-http/core is workspace:^ in the tarball'],
    ],
    [
      'the version before the release',
      { peerDependencies: { '@otel-http/core': '^0.1.0' } },
      ['@otel-http/express: peerDependencies.@otel-http/core is ^0.1.0, not ^0.2.0'],
    ],
  ])('%s', (_name, fields, problems) => {
    expect(internalRangeProblems(manifest(fields), versions)).toEqual(problems);
  });
});
