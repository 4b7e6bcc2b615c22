// The four examples stay parallel, file for file, so that `diff -r examples/express/src
// examples/koa/src` shows only what differs between the frameworks. What they share lives once, in
// `examples/shop`; an example keeps its framework code (`app.js`), its values (`settings.js`) and a
// `main.js` that is the same in all four.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const FRAMEWORKS = ['express', 'fastify', 'hono', 'koa'];
/** The files that hold the framework-specific code; every other file is the same in all four. */
const OWN_FILES = ['app.js', 'settings.js'];

const source = (framework: string, file: string) =>
  readFileSync(new URL(`../../${framework}/src/${file}`, import.meta.url), 'utf8');
const files = (framework: string) =>
  readdirSync(new URL(`../../${framework}/src/`, import.meta.url)).sort();

describe('the four examples', () => {
  it('have the same files', () => {
    for (const framework of FRAMEWORKS)
      expect(files(framework), framework).toEqual(files('express'));
  });

  it('share every file but app.js and settings.js byte for byte', () => {
    const shared = files('express').filter((file) => !OWN_FILES.includes(file));
    expect(shared).toContain('main.js');
    for (const framework of FRAMEWORKS) {
      for (const file of shared) {
        expect(source(framework, file), `${framework}/src/${file}`).toBe(source('express', file));
      }
    }
  });

  it('differ in settings.js only by the values', () => {
    const shape = (text: string) => text.replace(/'[^']*'/g, "''").replace(/\b\d+\b/g, '0');
    for (const framework of FRAMEWORKS) {
      expect(shape(source(framework, 'settings.js'))).toBe(shape(source('express', 'settings.js')));
    }
  });

  it('have their own default ports, so that all four run side by side', async () => {
    const settings = await Promise.all(
      FRAMEWORKS.map((framework) => import(`../../${framework}/src/settings.js`)),
    );
    const ports = settings.flatMap((s) => [s.DEFAULT_PORT, s.DEFAULT_METRICS_PORT]);
    expect(new Set(ports).size).toBe(8);
    expect(settings.map((s) => s.FRAMEWORK)).toEqual(FRAMEWORKS);
  });

  it('declare the same routes, in the same order', () => {
    const routes = (framework: string) =>
      [...source(framework, 'app.js').matchAll(/(?:app|router)\.(get|post)\('([^']+)'/g)].map(
        ([, method, path]) => `${method.toUpperCase()} ${path}`,
      );
    for (const framework of FRAMEWORKS) {
      expect(routes(framework), framework).toEqual([
        'GET /',
        'GET /health',
        'GET /users/:id',
        'GET /orders/:id',
        'POST /orders',
        'GET /error',
        'GET /events',
      ]);
    }
  });
});
