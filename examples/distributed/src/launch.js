/**
 * Runs a service as a child process and waits until it listens. The services announce themselves
 * with a JSON log line `{"msg":"listening","url":…,"metricsUrl":…}`, so they can be started on
 * port 0 and found wherever the system put them.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * @typedef {object} RunningService
 * @property {string} url - Base URL of its HTTP server.
 * @property {string | undefined} metricsUrl - URL of its Prometheus endpoint.
 * @property {number} pid - Its process id.
 * @property {Promise<number | null>} exited - Settles with the exit code when it has ended.
 * @property {() => Promise<void>} stop - SIGTERM, then SIGKILL if it is still running 5 s later.
 */

/**
 * Starts `node <script>` (or `command`, a program of another language) with `env` as its whole
 * environment.
 *
 * @param {object} options
 * @param {string} [options.script] - Absolute path of the script.
 * @param {string[]} [options.command] - A program and its arguments to run instead of a script.
 * @param {NodeJS.ProcessEnv} options.env - Its environment.
 * @param {(line: string, stream: 'stdout' | 'stderr') => void} [options.onLine] - Receives every
 *   line it writes.
 * @param {number} [options.timeoutMs] - How long it may take to listen. Default 20 s.
 * @returns {Promise<RunningService>} Rejects, after stopping it, if it exits or stays silent
 *   instead of listening.
 */
export function launch({ script, command, env, onLine = () => {}, timeoutMs = 20_000 }) {
  const [program, ...args] = command ?? [process.execPath, script];
  const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const name = script ?? command.join(' ');
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  const lastErrors = [];

  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      const detail = lastErrors.length > 0 ? `\n${lastErrors.join('\n')}` : '';
      void stop().then(() => reject(new Error(`${name}: ${why}${detail}`)));
    };
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(error.message));
    const exitedEarly = (code, signal) => fail(`exited (${signal ?? code}) before listening`);
    child.once('exit', exitedEarly);

    createInterface({ input: child.stderr }).on('line', (line) => {
      lastErrors.push(line);
      if (lastErrors.length > 20) lastErrors.shift();
      onLine(line, 'stderr');
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      onLine(line, 'stdout');
      const record = parseJson(line);
      if (record?.msg !== 'listening' || typeof record.url !== 'string') return;
      clearTimeout(timer);
      child.off('exit', exitedEarly);
      resolve({ url: record.url, metricsUrl: record.metricsUrl, pid: child.pid, exited, stop });
    });
  });
}

/** The object a JSON log line holds, or `undefined` for any other line. */
export function parseJson(line) {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
