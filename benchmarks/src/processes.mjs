// The child processes of a benchmark: servers (one per measured cell, on the Node binary under
// test) and the load generator, each optionally pinned to a CPU with `taskset`, each talking to
// the harness over an IPC channel.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVER_ENTRY = fileURLToPath(new URL('./server/main.mjs', import.meta.url));
const LOAD_ENTRY = fileURLToPath(new URL('./load.mjs', import.meta.url));
/** The Go module whose `cmd/bench` is the Go reference server. */
const GO_MODULE_DIR = fileURLToPath(new URL('../../examples/go/', import.meta.url));

/** How long a child may take to start or to answer, before the harness gives up on it. */
const STARTUP_TIMEOUT_MS = 30_000;

let tasksetAvailable = /** @type {boolean | undefined} */ (undefined);

/** Whether `taskset` can be used to pin processes (util-linux, Linux only). */
export function canPin() {
  if (tasksetAvailable === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetAvailable = true;
    } catch {
      tasksetAvailable = false;
    }
  }
  return tasksetAvailable;
}

/**
 * Starts `node <entry> ...args` with an IPC channel, on `cpu` when given. `taskset` execs Node in
 * place, so the child's pid is Node's own (what /proc accounting needs) and the IPC descriptor
 * passes through.
 *
 * @param {string} node
 * @param {string} entry
 * @param {string[]} args
 * @param {number | undefined} cpu
 * @param {string[]} [nodeFlags] Flags for Node itself, such as `--cpu-prof`.
 */
function spawnNode(node, entry, args, cpu, nodeFlags = []) {
  const nodeArgs = [...nodeFlags, entry, ...args];
  const [command, commandArgs] =
    cpu === undefined ? [node, nodeArgs] : ['taskset', ['-c', String(cpu), node, ...nodeArgs]];
  return spawn(command, commandArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/**
 * The next IPC message of `type` from `child`; rejects if the child exits first or stays silent.
 *
 * @template T
 * @param {import('node:child_process').ChildProcess} child
 * @param {string} type
 * @param {string} what For the error message.
 * @param {number} [timeoutMs]
 * @returns {Promise<T>}
 */
export function nextMessage(child, type, what, timeoutMs = STARTUP_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    /** @param {unknown} message */
    const onMessage = (message) => {
      if (
        typeof message === 'object' &&
        message !== null &&
        'type' in message &&
        message.type === type
      ) {
        cleanup();
        resolve(/** @type {T} */ (message));
      }
    };
    /** @param {number | null} code @param {string | null} signal */
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`${what} exited (${signal ?? `code ${code}`}) before answering`));
    };
    /** @param {Error} error */
    const onError = (error) => {
      cleanup();
      reject(error);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/**
 * Ends a child and waits for it to be gone. Closing its control channel first (the IPC channel of
 * a Node child, the stdin of a Go server) lets it exit normally (which is when Node writes a
 * `--cpu-prof` profile); a signal follows if it does not.
 *
 * @param {import('node:child_process').ChildProcess} child
 */
export async function stopChild(child) {
  // Never started (spawn failed), or already gone.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (child.connected || child.stdin !== null) {
    if (child.connected) child.disconnect();
    else child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGTERM'), 5_000);
    await exited;
    clearTimeout(timer);
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * @typedef {object} ServerCounts
 * @property {number} handled
 * @property {{ server: number, other: number }} spans
 * @property {number} durationPoints
 */

/**
 * @typedef {object} ServerProcess
 * @property {number} pid
 * @property {number} port
 * @property {string} node The Node version the server runs on.
 * @property {() => Promise<ServerCounts>} counts What it counted since it started.
 * @property {(() => Promise<void>) | undefined} [openMemoryWindow] Starts counting the bytes V8
 *   allocates (Node servers only).
 * @property {(() => Promise<ServerMemory>) | undefined} [closeMemoryWindow] What the window allocated
 *   per request, and the resident set size at its end.
 * @property {() => Promise<void>} stop
 */

/**
 * @typedef {object} ServerMemory
 * @property {number} allocatedBytesPerRequest Bytes V8 allocated on its heap per request answered
 *   inside the window.
 * @property {number} rssBytes The server's resident set size when the window closed.
 */

/**
 * @param {{ node: string, framework: string, mode: string, cpu?: number | undefined, nodeFlags?: string[] }} options
 * @returns {Promise<ServerProcess>}
 */
export async function startServer({ node, framework, mode, cpu, nodeFlags }) {
  const what = `the ${framework} server in ${mode} mode`;
  const child = spawnNode(node, SERVER_ENTRY, [framework, mode], cpu, nodeFlags);
  try {
    /** @type {import('./server/main.mjs').ReadyMessage} */
    const ready = await nextMessage(child, 'ready', what);
    const pid = /** @type {number} */ (child.pid);
    return {
      pid,
      port: ready.port,
      node: ready.node,
      async counts() {
        const answer = nextMessage(child, 'counts', what);
        child.send({ type: 'counts' });
        /** @type {import('./server/main.mjs').CountsMessage} */
        const { handled, spans, durationPoints } = await answer;
        return { handled, spans, durationPoints };
      },
      async openMemoryWindow() {
        const answer = nextMessage(child, 'window-open', what);
        child.send({ type: 'window-open' });
        await answer;
      },
      async closeMemoryWindow() {
        const answer = nextMessage(child, 'window', what);
        child.send({ type: 'window-close' });
        /** @type {import('./server/main.mjs').WindowMessage} */
        const { handled, allocatedBytes, rssBytes } = await answer;
        return { allocatedBytesPerRequest: allocatedBytes / handled, rssBytes };
      },
      stop: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/**
 * @typedef {object} GoBuild
 * @property {string | undefined} binary The built Go reference server, when there is one.
 * @property {string} note What happened, in one line, for the console and the report.
 */

/**
 * Builds the Go reference server (`examples/go/cmd/bench`) with the Go toolchain on `PATH`, into
 * a cache directory outside the repository (`$XDG_CACHE_HOME/otel-http`, else `~/.cache/otel-http`);
 * Go's own build cache makes a second build quick. Without a toolchain, or when the build fails,
 * there is no binary and the note says why.
 *
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {GoBuild}
 */
export function buildGoServer(env = process.env) {
  const version = spawnSync('go', ['version'], { encoding: 'utf8', env });
  if (version.error || version.status !== 0) {
    return { binary: undefined, note: 'no Go toolchain on PATH: the Go rows are skipped' };
  }
  const dir = join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'otel-http');
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, 'bench-go-server');
  const build = spawnSync('go', ['build', '-o', binary, './cmd/bench'], {
    cwd: GO_MODULE_DIR,
    encoding: 'utf8',
    env,
    timeout: 600_000,
  });
  if (build.status !== 0) {
    return {
      binary: undefined,
      note: `go build failed, the Go rows are skipped: ${(build.stderr || String(build.error)).trim()}`,
    };
  }
  return { binary, note: version.stdout.trim() };
}

/**
 * Starts the Go reference server for a framework and mode, on `cpu` when given. It speaks the
 * same protocol as the Node servers, as JSON lines over its stdin and stdout instead of an IPC
 * channel; the end of its stdin stops it. Pinned to one CPU, the Go runtime sizes GOMAXPROCS to
 * that CPU, as the Node servers run their JavaScript on one thread.
 *
 * @param {{ binary: string, framework: string, mode: string, cpu?: number | undefined }} options
 * @returns {Promise<ServerProcess>}
 */
export async function startGoServer({ binary, framework, mode, cpu }) {
  const what = `the Go ${framework} server in ${mode} mode`;
  const [command, args] =
    cpu === undefined
      ? [binary, [framework, mode]]
      : ['taskset', ['-c', String(cpu), binary, framework, mode]];
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) }).on(
    'line',
    (line) => {
      // The protocol's messages arrive as `message` events, as from a Node server's IPC channel.
      try {
        child.emit('message', JSON.parse(line));
      } catch {
        // Not a protocol line.
      }
    },
  );
  try {
    /** @type {import('./server/main.mjs').ReadyMessage} */
    const ready = await nextMessage(child, 'ready', what);
    return {
      pid: /** @type {number} */ (child.pid),
      port: ready.port,
      node: ready.node,
      async counts() {
        const answer = nextMessage(child, 'counts', what);
        child.stdin?.write('counts\n');
        /** @type {import('./server/main.mjs').CountsMessage} */
        const { handled, spans, durationPoints } = await answer;
        return { handled, spans, durationPoints };
      },
      stop: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/**
 * @typedef {object} LoadGenerator
 * @property {number} pid
 * @property {(job: Omit<import('./load.mjs').LoadJob, 'type'>) => Promise<import('./load.mjs').LoadResult>} run
 * @property {() => Promise<void>} stop
 */

/**
 * Starts the load generator on the harness's own Node binary: the load side stays the same when
 * the servers' Node version changes.
 *
 * @param {{ cpu?: number | undefined }} options
 * @returns {Promise<LoadGenerator>}
 */
export async function startLoadGenerator({ cpu }) {
  const child = spawnNode(process.execPath, LOAD_ENTRY, [], cpu);
  try {
    await nextMessage(child, 'ready', 'the load generator');
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    pid: /** @type {number} */ (child.pid),
    async run(job) {
      const answer = nextMessage(
        child,
        'result',
        'the load generator',
        STARTUP_TIMEOUT_MS + job.durationSeconds * 1000,
      );
      child.send({ type: 'run', ...job });
      return /** @type {Promise<import('./load.mjs').LoadResult>} */ (answer);
    },
    stop: () => stopChild(child),
  };
}
