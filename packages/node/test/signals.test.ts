import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver, waitFor } from './support/loopback.js';

// What a quick start does on Ctrl-C, tested with real signals sent to a real process that runs the
// built package: startTelemetry() with no signal option, a server, one span waiting in the queue.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
// Inside the package's node_modules, so that the bundle resolves @opentelemetry/* as installed.
const outDir = join(packageDir, 'node_modules', '.cache', 'signals-test');

/** A server with one span queued (the queue would wait ten minutes), `ready` once it listens. */
const app = (telemetryOptions: string, more = '') => `
import { createServer } from 'node:http';
import { trace } from '@opentelemetry/api';
import { startTelemetry } from './index.mjs';
const telemetry = startTelemetry({ serviceName: 'quickstart'${telemetryOptions} });
trace.getTracer('app').startSpan('handled GET /users/:id').end();
const server = createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => console.log('ready'));
${more}
`;

const apps = {
  'quickstart.mjs': app(''),
  'opted-out.mjs': app(', shutdownOnSignals: false'),
  // An application with a graceful shutdown of its own: it drains, records one more span, then
  // shuts telemetry down and exits with its own code.
  'graceful.mjs': app(
    '',
    `
process.on('SIGTERM', async () => {
  await new Promise((resolve) => server.close(resolve));
  trace.getTracer('app').startSpan('drained').end();
  await telemetry.shutdown();
  process.exit(3);
});
`,
  ),
  // The sampling ratio file named by OTEL_HTTP_SAMPLER_RATIO_FILE, re-read on SIGUSR2; the app
  // prints the ratio in effect after each SIGUSR2.
  'ratio-file.mjs': app(
    '',
    `
console.log('ratio ' + telemetry.sampling.ratio);
process.on('SIGUSR2', () => setImmediate(() => console.log('ratio ' + telemetry.sampling.ratio)));
`,
  ),
};

let receiver: OtlpReceiver;

beforeAll(async () => {
  await rm(outDir, { recursive: true, force: true });
  await build({
    config: false,
    entry: { index: join(packageDir, 'src', 'index.ts') },
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    outDir,
    platform: 'node',
    target: 'node20',
    external: [/^@opentelemetry\//, /^@otel-http\//],
    dts: false,
    splitting: false,
    silent: true,
  });
  await mkdir(outDir, { recursive: true });
  for (const [name, source] of Object.entries(apps)) await writeFile(join(outDir, name), source);
  receiver = await startOtlpReceiver();
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await rm(outDir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node <file>` exporting over OTLP to the receiver; killed if it runs over 15 s. */
function runApp(file: string, more: Record<string, string> = {}): Run {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('OTEL_') && name !== 'NODE_OPTIONS',
    ),
  );
  const env = {
    ...clean,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_METRICS_EXPORTER: 'none',
    // Nothing is exported before the signal unless the shutdown flushes it.
    OTEL_BSP_SCHEDULE_DELAY: '600000',
    ...more,
  };
  const child = spawn(process.execPath, [file], { cwd: outDir, env });
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => {
      const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (code, signal) => {
        clearTimeout(guard);
        resolve({ code, signal });
      });
    }),
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    run.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString();
  });
  return run;
}

const spansOf = (service: string) =>
  receiver
    .spans()
    .filter((span) => span.resource['service.name'] === service)
    .map((span) => span.name);

describe('startTelemetry() and signals', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'by default, flushes on %s the application does not handle, then ends by that signal',
    async (sent) => {
      receiver.requests.length = 0;
      const run = runApp('quickstart.mjs');
      await waitFor(() => run.stdout.includes('ready'), 'the server to listen', 15_000);
      expect(spansOf('quickstart')).toEqual([]);
      run.child.kill(sent);
      const { code, signal } = await run.exited;
      expect(run.stderr).toBe('');
      // The exit a shell reports as 128 + the signal number, exactly as without telemetry.
      expect({ code, signal }).toEqual({ code: null, signal: sent });
      expect(spansOf('quickstart')).toEqual(['handled GET /users/:id']);
    },
  );

  it('with shutdownOnSignals: false, installs nothing: the queued span is lost', async () => {
    receiver.requests.length = 0;
    const run = runApp('opted-out.mjs');
    await waitFor(() => run.stdout.includes('ready'), 'the server to listen', 15_000);
    run.child.kill('SIGINT');
    const { code, signal } = await run.exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGINT' });
    expect(spansOf('quickstart')).toEqual([]);
  });

  it("leaves a signal the application handles to the application's own shutdown", async () => {
    receiver.requests.length = 0;
    const run = runApp('graceful.mjs');
    await waitFor(() => run.stdout.includes('ready'), 'the server to listen', 15_000);
    run.child.kill('SIGTERM');
    const { code, signal } = await run.exited;
    expect(run.stderr).toBe('');
    // The application's exit code, and the span it recorded while draining is exported too:
    // telemetry was still running until the application shut it down.
    expect({ code, signal }).toEqual({ code: 3, signal: null });
    expect(spansOf('quickstart').sort()).toEqual(['drained', 'handled GET /users/:id']);
  });

  it('SIGUSR2 re-reads the sampling ratio file and leaves the process running', async () => {
    const file = join(outDir, 'ratio.txt');
    await writeFile(file, '0.01');
    const run = runApp('ratio-file.mjs', { OTEL_HTTP_SAMPLER_RATIO_FILE: file });
    try {
      await waitFor(() => run.stdout.includes('ready'), 'the server to listen', 15_000);
      expect(run.stdout).toContain('ratio 0.01\n');
      await writeFile(file, '1\n');
      run.child.kill('SIGUSR2');
      await waitFor(() => run.stdout.includes('ratio 1\n'), 'the new ratio', 15_000);
      await writeFile(file, 'all of them');
      run.child.kill('SIGUSR2');
      await waitFor(() => run.stdout.split('ratio 1\n').length === 3, 'the kept ratio', 15_000);
      expect(run.child.exitCode).toBeNull();
      expect(run.stderr).toContain('keeping 1');
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
