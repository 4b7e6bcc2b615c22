// `pnpm compare` builds the packages first. The build prints a hundred and more lines that would
// bury the comparison, so its output is kept and shown only when the build fails.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The command that runs the root `build` script with the pnpm that started this process (its
 * path is in `npm_execpath`, also when that pnpm came from `npx` and is not on `PATH`), else with
 * the `pnpm` on `PATH`.
 * @param {NodeJS.ProcessEnv} env
 * @returns {string[]}
 */
export function buildCommand(env = process.env) {
  const execPath = env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) {
    return /\.[cm]?js$/.test(execPath)
      ? [process.execPath, execPath, 'build']
      : [execPath, 'build'];
  }
  return ['pnpm', 'build'];
}

/**
 * Runs `command` in the repository root with its output (stdout and stderr, interleaved)
 * captured.
 * @param {string[]} [command]
 * @returns {Promise<{ ok: boolean, log: string, seconds: number }>}
 */
export function buildQuietly(command = buildCommand()) {
  const started = Date.now();
  return new Promise((resolve) => {
    let log = '';
    const child = spawn(command[0], command.slice(1), {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    child.stdout.on('data', (chunk) => {
      log += chunk;
    });
    child.stderr.on('data', (chunk) => {
      log += chunk;
    });
    const done = (ok, extra = '') =>
      resolve({ ok, log: log + extra, seconds: (Date.now() - started) / 1000 });
    child.on('error', (error) => done(false, `\n${command.join(' ')}: ${error.message}\n`));
    child.on('close', (code, signal) =>
      done(code === 0, code === 0 ? '' : `\n${command.join(' ')} exited with ${code ?? signal}\n`),
    );
  });
}
