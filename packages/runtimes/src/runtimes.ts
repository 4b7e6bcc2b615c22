import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The runtimes this package runs, each from the npm registry's package of its binary. */
export const RUNTIMES = {
  bun: { title: 'Bun', env: 'OTEL_HTTP_BUN', binary: 'bun', npm: '@oven/bun-linux-x64' },
  deno: { title: 'Deno', env: 'OTEL_HTTP_DENO', binary: 'deno', npm: '@deno/linux-x64-glibc' },
  workerd: { title: 'workerd', env: 'OTEL_HTTP_WORKERD', binary: 'workerd', npm: 'workerd' },
} as const;

export type RuntimeName = keyof typeof RUNTIMES;

/** A runtime binary found on this machine, or why there is none. */
export type FoundRuntime =
  | { readonly found: true; readonly path: string; readonly version: string }
  | { readonly found: false; readonly reason: string };

/**
 * Finds a runtime: the path in its environment variable (`OTEL_HTTP_BUN`, …), else the binary on
 * PATH. CI installs all of them and sets the variables; a machine without one skips its rows.
 */
export function findRuntime(name: RuntimeName): FoundRuntime {
  const { env, binary, npm } = RUNTIMES[name];
  const fromEnv = process.env[env];
  const candidates = fromEnv
    ? [fromEnv]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, binary));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      continue;
    }
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    return { found: true, path, version: version.split('\n')[0] ?? version };
  }
  const where = fromEnv ? `${env}=${fromEnv} is not an executable` : `no ${binary} on PATH`;
  return {
    found: false,
    reason: `${where}; install ${npm} from npm and set ${env} (CI does)`,
  };
}

/**
 * `findRuntime`, for a test file: in CI a missing runtime is an error (CI installs them all),
 * elsewhere a reason to skip the rows, printed once.
 */
export function requireRuntime(name: RuntimeName): FoundRuntime {
  const runtime = findRuntime(name);
  if (!runtime.found) {
    if (process.env.CI) throw new Error(`${RUNTIMES[name].title} is missing: ${runtime.reason}`);
    console.warn(`skipping the ${RUNTIMES[name].title} rows: ${runtime.reason}`);
  }
  return runtime;
}

/** A scratch directory inside this package, so that bundles resolve its node_modules. */
export function scratchDir(name: string): string {
  const dir = fileURLToPath(
    new URL(`../node_modules/.cache/otel-http-runtimes/${name}`, import.meta.url),
  );
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** What a finished child process printed and how it ended. */
export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** Runs `command` to its end, killing it after `timeoutMs`; stdout and stderr interleaved. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => {
      output += `\n[killed after ${options.timeoutMs} ms]\n`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/**
 * The environment the runtimes run in: no colours in their output, and no calls of their own
 * to the outside (Deno's update check, Bun's crash reports): a test talks to loopback only.
 */
export function runtimeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DO_NOT_TRACK: '1', ...extra };
}
