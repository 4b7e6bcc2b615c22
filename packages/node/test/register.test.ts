import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver, waitFor } from './support/loopback.js';

// The preload entry is tested the way it is used: built, then loaded by a real `node --import` /
// `node --require` in front of an application that knows nothing about it.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
// Inside the package's node_modules, so that the bundle resolves @opentelemetry/* as installed.
const outDir = join(packageDir, 'node_modules', '.cache', 'register-test');
const registerEsm = join(outDir, 'register.mjs');
const registerCjs = join(outDir, 'register.cjs');

const apps = {
  /** A server that runs until a signal ends it; one span at startup. */
  'server.mjs': `
import { createServer } from 'node:http';
import { trace } from '@opentelemetry/api';
trace.getTracer('app').startSpan('startup work').end();
const server = createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => console.log('ready'));
`,
  /** A script that ends by itself when its work is done. */
  'script.cjs': `
const { trace } = require('@opentelemetry/api');
trace.getTracer('app').startSpan('script work', { attributes: { 'job.id': 7 } }).end();
console.log('done');
`,
};

let receiver: OtlpReceiver;

beforeAll(async () => {
  await rm(outDir, { recursive: true, force: true });
  await build({
    config: false,
    entry: { register: join(packageDir, 'src', 'register.ts') },
    format: ['esm', 'cjs'],
    outExtension: ({ format }) => ({ js: format === 'cjs' ? '.cjs' : '.mjs' }),
    outDir,
    platform: 'node',
    target: 'node20',
    external: [/^@opentelemetry\//],
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

/** Starts `node <args>` with only the given OTEL_* variables; killed if it runs over 15 s. */
function runNode(args: string[], env: Record<string, string>): Run {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('OTEL_') && name !== 'NODE_OPTIONS',
    ),
  );
  const child = spawn(process.execPath, args, { cwd: outDir, env: { ...clean, ...env } });
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

describe('@otel-http/node/register', () => {
  it('with --import, starts from the environment and flushes on SIGTERM, then ends as SIGTERM would', async () => {
    const run = runNode(['--import', registerEsm, 'server.mjs'], {
      OTEL_SERVICE_NAME: 'preloaded-server',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRICS_EXPORTER: 'none',
      // Nothing is exported before the signal unless the shutdown flushes it.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    await waitFor(() => run.stdout.includes('ready'), 'the server to listen', 15_000);
    expect(receiver.spans().filter((s) => s.name === 'startup work')).toHaveLength(0);
    run.child.kill('SIGTERM');
    const { code, signal } = await run.exited;
    expect(run.stderr).toBe('');
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    const span = receiver.spans().find((s) => s.name === 'startup work');
    expect(span?.resource['service.name']).toBe('preloaded-server');
  });

  it('with --require, flushes a short script when its event loop empties', async () => {
    const run = runNode(['--require', registerCjs, 'script.cjs'], {
      OTEL_SERVICE_NAME: 'preloaded-script',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    const { code } = await run.exited;
    expect(run.stderr).toBe('');
    expect(code).toBe(0);
    expect(run.stdout).toBe('done\n');
    const span = receiver.spans().find((s) => s.name === 'script work');
    expect(span?.attributes['job.id']).toBe(7);
    expect(span?.resource['service.name']).toBe('preloaded-script');
  });

  it('with nothing configured, prints spans on the console', async () => {
    const run = runNode(['--require', registerCjs, 'script.cjs'], {
      // 9464 may be in use on a test machine; everything else is the default.
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    });
    const { code } = await run.exited;
    expect(run.stderr).toBe('');
    expect(code).toBe(0);
    const spanLine = run.stdout.split('\n').find((line) => line.includes('"script work"'));
    expect(spanLine).toMatch(
      /^\d{2}:\d{2}:\d{2}\.\d{3} INTERNAL "script work" [\d.]+ms trace_id=[0-9a-f]{32} span_id=[0-9a-f]{16} parent_id=- job\.id=7$/,
    );
  });

  it('stops the process with an error naming an invalid variable', async () => {
    const run = runNode(['--import', registerEsm, 'server.mjs'], { OTEL_TRACES_SAMPLER: 'bogus' });
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(run.stdout).not.toContain('ready');
    expect(run.stderr).toContain('TelemetryConfigError: OTEL_TRACES_SAMPLER="bogus" is not valid');
  });
});
