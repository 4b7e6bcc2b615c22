import { describe, expect, it } from 'vitest';
import { joinRoute, templateOf } from '../src/route.js';

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
