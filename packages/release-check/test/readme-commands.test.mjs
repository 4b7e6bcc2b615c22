// Every shell command a README shows must work as written on a machine with only Node.js and npm,
// where a bare `pnpm` may be missing or be a corepack shim that cannot verify pnpm. So a README's
// shell blocks run pnpm as `npx --yes pnpm@<the pinned version>`, unless the README first shows
// the one setup line that makes `pnpm` that same command in the reader's shell.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../src/workspace.mjs';

const read = (path) => readFileSync(new URL(path, `file://${ROOT}`), 'utf8');

const PNPM_VERSION = JSON.parse(read('package.json')).packageManager.replace(/^pnpm@/, '');
const PINNED = `npx --yes pnpm@${PNPM_VERSION}`;
const SETUP_LINE = `alias pnpm='${PINNED}'`;
const SHELL_LANGUAGES = new Set(['', 'sh', 'bash', 'shell', 'console', 'zsh']);

/** The lines of every fenced shell block, continuation lines joined, comments dropped. */
function shellLines(markdown) {
  const lines = [];
  for (const [, language, body] of markdown.matchAll(/^```(\w*)[^\n]*\n([\s\S]*?)^```/gm)) {
    if (!SHELL_LANGUAGES.has(language)) continue;
    const joined = body.replace(/\\\n/g, ' ');
    for (const line of joined.split('\n')) {
      const command = line.replace(/(^|\s)#.*$/, '').trim();
      if (command !== '') lines.push(command);
    }
  }
  return lines;
}

/**
 * How each command of a line starts pnpm: `'bare'` (a preinstalled `pnpm`), `'pinned'` (the
 * npx form with the pinned version) or `'unpinned'` (npx with another version, or without
 * `--yes`, which stops to ask). Commands without pnpm are left out.
 */
function pnpmInvocations(line) {
  const found = [];
  for (const command of line.split(/&&|\|\||[;|&]|\$\(|`/)) {
    const words = command.trim().split(/\s+/);
    while (words.length > 0 && /^(\w+=\S*|sudo|time|exec|env)$/.test(words[0])) words.shift();
    if (words[0] === 'pnpm') found.push('bare');
    else if (words[0] === 'npx' && words.some((word) => /^pnpm(@|$)/.test(word))) {
      found.push(words.slice(0, 3).join(' ') === PINNED ? 'pinned' : 'unpinned');
    }
  }
  return found;
}

/** What is wrong with a README's commands, one line per problem. */
function pnpmProblems(markdown) {
  const lines = shellLines(markdown);
  const setUp = lines.includes(SETUP_LINE);
  return lines.flatMap((line) =>
    pnpmInvocations(line)
      .filter((kind) => kind === 'unpinned' || (kind === 'bare' && !setUp))
      .map((kind) =>
        kind === 'bare'
          ? `needs a preinstalled pnpm (write \`${PINNED} …\`, or show \`${SETUP_LINE}\` first): ${line}`
          : `not the pinned \`${PINNED}\`: ${line}`,
      ),
  );
}

describe('README commands', () => {
  it('tells the bare, the pinned and the unpinned forms apart', () => {
    expect(pnpmInvocations('pnpm install')).toEqual(['bare']);
    expect(pnpmInvocations(`${PINNED} install && ${PINNED} compare`)).toEqual(['pinned', 'pinned']);
    expect(pnpmInvocations(`cd x && FOO=1 BAR=2 pnpm --filter y start &`)).toEqual(['bare']);
    expect(pnpmInvocations('npx pnpm@10.0.0 install')).toEqual(['unpinned']);
    expect(pnpmInvocations('npx --yes pnpm install')).toEqual(['unpinned']);
    expect(pnpmInvocations('node src/main.js --pnpm')).toEqual([]);
    expect(pnpmInvocations('echo $(pnpm --version)')).toEqual(['bare']);
  });

  it('reads shell blocks only, without comments, with continuation lines joined', () => {
    const markdown = [
      '```sh',
      '# pnpm build first',
      'OTEL_X=1 \\',
      '  pnpm test   # then this',
      '```',
      '```js',
      "execSync('pnpm build');",
      '```',
      'Inline `pnpm build` is prose.',
    ].join('\n');
    expect(shellLines(markdown)).toEqual(['OTEL_X=1    pnpm test']);
    expect(pnpmProblems(markdown)).toEqual([
      `needs a preinstalled pnpm (write \`${PINNED} …\`, or show \`${SETUP_LINE}\` first): OTEL_X=1    pnpm test`,
    ]);
    expect(pnpmProblems(`\`\`\`sh\n${SETUP_LINE}\n\`\`\`\n${markdown}`)).toEqual([]);
  });

  const readmes = execFileSync('git', ['ls-files', '--', '*README.md'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((path) => path !== '' && !path.startsWith('docs/api/'));

  it('finds the READMEs', () => {
    expect(readmes).toContain('README.md');
    expect(readmes).toContain('examples/README.md');
    expect(readmes).toContain('benchmarks/README.md');
  });

  it.each(readmes)('%s runs pnpm only in a form that needs no preinstalled pnpm', (path) => {
    expect(pnpmProblems(read(path))).toEqual([]);
  });
});
