// The quiet build of `pnpm compare`: the output is kept, and shown only when the build fails.
import { describe, expect, it } from 'vitest';
import { buildCommand, buildQuietly } from '../src/build.js';

describe('buildQuietly', () => {
  it('keeps the output of a command that succeeds', async () => {
    const result = await buildQuietly([process.execPath, '-e', 'console.log("built")']);
    expect(result.ok).toBe(true);
    expect(result.log).toBe('built\n');
  });

  it('returns the whole output, stderr included, of a command that fails', async () => {
    const result = await buildQuietly([
      process.execPath,
      '-e',
      'console.log("step 1"); console.error("error TS2322"); process.exit(3)',
    ]);
    expect(result.ok).toBe(false);
    expect(result.log).toContain('step 1\n');
    expect(result.log).toContain('error TS2322\n');
    expect(result.log).toContain('exited with 3');
  });

  it('reports a command that cannot start', async () => {
    const result = await buildQuietly(['no-such-command-here']);
    expect(result.ok).toBe(false);
    expect(result.log).toContain('no-such-command-here');
  });
});

describe('buildCommand', () => {
  it('uses the pnpm that started it, also one from npx that is not on PATH', () => {
    expect(buildCommand({ npm_execpath: '/x/node_modules/pnpm/bin/pnpm.cjs' })).toEqual([
      process.execPath,
      '/x/node_modules/pnpm/bin/pnpm.cjs',
      'build',
    ]);
    expect(buildCommand({ npm_execpath: '/usr/local/bin/pnpm' })).toEqual([
      '/usr/local/bin/pnpm',
      'build',
    ]);
    expect(buildCommand({})).toEqual(['pnpm', 'build']);
    expect(buildCommand({ npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js' })).toEqual([
      'pnpm',
      'build',
    ]);
  });
});
