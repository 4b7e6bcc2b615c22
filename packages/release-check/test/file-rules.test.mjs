import { describe, expect, it } from 'vitest';
import { fileListProblems, sourceMapProblems } from '../src/file-rules.mjs';

const COMPLETE = ['LICENSE', 'README.md', 'dist/index.cjs', 'dist/index.d.ts', 'package.json'];

describe('fileListProblems', () => {
  it.each([
    ['a complete package', COMPLETE, []],
    ['no licence', COMPLETE.filter((f) => f !== 'LICENSE'), ['no LICENSE in the tarball']],
    ['no README', COMPLETE.filter((f) => f !== 'README.md'), ['no README.md in the tarball']],
    [
      'no build output',
      ['LICENSE', 'README.md', 'package.json'],
      ['no dist/ in the tarball: run `pnpm build` first'],
    ],
    [
      'a test next to the code',
      [...COMPLETE, 'dist/index.test.js'],
      ['test file: dist/index.test.js'],
    ],
    ['a test directory', [...COMPLETE, 'test/harness.ts'], ['test file: test/harness.ts']],
    ['a spec file', [...COMPLETE, 'src/a.spec.mts'], ['test file: src/a.spec.mts']],
    ['LICENCE.md spelling', [...COMPLETE.filter((f) => f !== 'LICENSE'), 'LICENCE.md'], []],
  ])('%s', (_name, files, problems) => {
    expect(fileListProblems(files)).toEqual(problems);
  });
});

describe('sourceMapProblems', () => {
  const check = (contents) => sourceMapProblems(Object.keys(contents), (file) => contents[file]);
  const map = (sources, extra = {}) =>
    JSON.stringify({ version: 3, sources, mappings: '', ...extra });

  it.each([
    ['no maps at all', { 'dist/index.js': 'export {};\n' }, []],
    [
      'a map of a file in the package',
      {
        'dist/index.js': 'export {};\n//# sourceMappingURL=index.js.map\n',
        'dist/index.js.map': map(['../src/index.ts']),
        'src/index.ts': 'export {};\n',
      },
      [],
    ],
    [
      'an inline map',
      { 'dist/index.js': 'export {};\n//# sourceMappingURL=data:application/json;base64,e30=\n' },
      [],
    ],
    [
      'a map naming the source tree the package was built from',
      {
        'dist/index.js': 'export {};\n//# sourceMappingURL=index.js.map\n',
        'dist/index.js.map': map(['../src/index.ts']),
      },
      ['dist/index.js.map: source src/index.ts is not in the tarball'],
    ],
    [
      'a map pointing into the repository',
      {
        'dist/index.js': '//# sourceMappingURL=index.js.map',
        'dist/index.js.map': map(['../../../packages/core/src/index.ts']),
      },
      ['dist/index.js.map: source ../../../packages/core/src/index.ts points outside the package'],
    ],
    [
      'an absolute source root',
      {
        'dist/index.js.map': map(['index.ts'], { sourceRoot: '/home/ci/otel-http/src/' }),
      },
      ['dist/index.js.map: source /home/ci/otel-http/src/index.ts points outside the package'],
    ],
    [
      'a URL as source',
      { 'dist/index.js.map': map(['webpack://otel/src/index.ts']) },
      ['dist/index.js.map: source webpack://otel/src/index.ts is a URL, not a file of the package'],
    ],
    [
      'a sourceMappingURL to a map left out of the tarball',
      { 'dist/index.cjs': 'module.exports = {};\n//# sourceMappingURL=index.cjs.map\n' },
      ['dist/index.cjs: sourceMappingURL index.cjs.map is not in the tarball'],
    ],
    [
      'a sourceMappingURL leaving the package',
      { 'dist/index.d.ts': 'export {};\n//# sourceMappingURL=../../../src/index.d.ts.map\n' },
      ['dist/index.d.ts: sourceMappingURL ../../../src/index.d.ts.map is outside the package'],
    ],
    [
      'a map that is not JSON',
      { 'dist/a.js.map': '{' },
      [expect.stringMatching(/^dist\/a\.js\.map: not JSON/)],
    ],
  ])('%s', (_name, contents, problems) => {
    expect(check(contents)).toEqual(problems);
  });
});
