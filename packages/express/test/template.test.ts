import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { joinRoute, mountTemplate, pathOfExpression, templateOf } from '../src/template.js';

describe('templateOf', () => {
  it.each([
    ['no parameters', '/api/v1', {}, '/api/v1'],
    ['one parameter', '/orgs/42', { orgId: '42' }, '/orgs/:orgId'],
    [
      'two parameters',
      '/orgs/42/teams/7',
      { orgId: '42', teamId: '7' },
      '/orgs/:orgId/teams/:teamId',
    ],
    ['the same value twice', '/a/1/b/1', { x: '1', y: '1' }, '/a/:x/b/:y'],
    ['an encoded value', '/orgs/other%20org', { orgId: 'other org' }, '/orgs/:orgId'],
    [
      'a value that is not a whole segment',
      '/files/report.pdf',
      { name: 'report' },
      '/files/report.pdf',
    ],
    ['a wildcard over several segments', '/docs/a/b/c', { rest: ['a', 'b', 'c'] }, '/docs/*rest'],
    ['a literal segment before the parameter', '/v/v2', { version: 'v2' }, '/v/:version'],
    ['undecodable text', '/x/%E0%A4%A', { id: 'nope' }, '/x/%E0%A4%A'],
    ['params that are not an object', '/orgs/42', undefined, '/orgs/42'],
  ])('%s', (_case, path, params, expected) => {
    expect(templateOf(path, params)).toBe(expected);
  });
});

describe('joinRoute', () => {
  it.each([
    ['', '/users/:id', '/users/:id'],
    ['/api/v1', '/items/:itemId', '/api/v1/items/:itemId'],
    ['/api/v1', '/', '/api/v1'],
    ['', '/', '/'],
    ['/api/', '/items', '/api/items'],
    ['/api', ['/a', '/b'], '/api/a,/b'],
    ['', /^\/re(gex)?$/, '/^\\/re(gex)?$/'],
  ])('%s + %s', (prefix, path, expected) => {
    expect(joinRoute(prefix, path)).toBe(expected);
  });
});

describe('pathOfExpression: the path an Express 4 mount was declared with', () => {
  /** The expression and keys Express 4.21 keeps for `router.use(path, fn)`. */
  function mountLayer(path: string, caseSensitive = false) {
    const router = express4.Router({ caseSensitive });
    router.use(path, (_req, _res, next) => next());
    const layer = router.stack[0] as unknown as { regexp: RegExp; keys: Array<{ name: unknown }> };
    return { source: layer.regexp.source, keys: layer.keys.map((key) => key.name) };
  }

  it.each([
    ['/api', '/api'],
    ['/API/v1', '/API/v1'],
    ['/api/', '/api'],
    ['/', ''],
    ['/orgs/:orgId', '/orgs/:orgId'],
    ['/orgs/:orgId/teams/:teamId', '/orgs/:orgId/teams/:teamId'],
    ['/:a-:b', '/:a-:b'],
    ['/files/:name.:ext', '/files/:name.:ext'],
    ['/v/:id(\\d+)', '/v/:id(\\d+)'],
    ['/opt/:x?', '/opt/:x?'],
    ['/s/:rest*', '/s/:rest*'],
    ['/star/*', '/star/*'],
    ['/a.b', '/a.b'],
    ['/(foo)', '/(foo)'],
  ])('%s', (declared, expected) => {
    for (const caseSensitive of [false, true]) {
      const { source, keys } = mountLayer(declared, caseSensitive);
      expect(pathOfExpression(source, keys)).toBe(expected);
    }
  });

  it.each([
    ['not anchored', 'api', []],
    ['more keys than groups', '^\\/api\\/?(?=\\/|$)', ['id']],
    ['fewer keys than groups', '^\\/orgs(?:\\/([^/]+?))\\/?(?=\\/|$)', []],
    ['an alternation', '^\\/a|\\/b\\/?(?=\\/|$)', []],
    ['an unclosed group', '^\\/a(?:\\/([^/]+?)', ['x']],
  ])('%s: undefined', (_case, source, keys) => {
    expect(pathOfExpression(source, keys)).toBeUndefined();
  });
});

describe('mountTemplate', () => {
  const mounts = [
    { url: '/Orgs/orgs', template: '/orgs/:orgId' },
    { url: '/Orgs/orgs/Teams/7', template: '/orgs/:orgId/teams/:teamId' },
  ];
  it.each([
    ['no mount', undefined, '/api', {}, '/api'],
    ['the deepest mount', mounts, '/Orgs/orgs/Teams/7', {}, '/orgs/:orgId/teams/:teamId'],
    ['an outer mount', mounts, '/Orgs/orgs', {}, '/orgs/:orgId'],
    [
      'a rest not wrapped yet',
      mounts,
      '/Orgs/orgs/Docs/9',
      { docId: '9' },
      '/orgs/:orgId/Docs/:docId',
    ],
    ['a sibling with a longer name', mounts, '/Orgs/orgsx', {}, '/Orgs/orgsx'],
  ])('%s', (_case, list, baseUrl, params, expected) => {
    expect(mountTemplate(list, baseUrl, params)).toBe(expected);
  });
});
