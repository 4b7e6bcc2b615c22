// `pnpm compare` end to end, as a process: it starts the eight services (eleven with the Go ones
// when a Go toolchain is on PATH), compares them, writes its reports and stops everything — also
// when interrupted with Ctrl-C (SIGINT).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePackagesBuilt } from './support/built.js';

const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'otel-http-compare-'));
const children: ChildProcess[] = [];
/** Whether the Go columns run here (CI always has Go). */
const hasGo = spawnSync('go', ['version']).status === 0;

beforeAll(() => ensurePackagesBuilt());
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(directory, { recursive: true, force: true });
});

/**
 * Runs the command; `onOutput` sees stdout as it grows. Killed after 75 s. Every process it starts
 * inherits `COMPARE_TEST_RUN=<marker>`, so that any left running can be found afterwards.
 */
function runCompare(
  args: string[],
  marker: string,
  onOutput: (stdout: string, child: ChildProcess) => void = () => {},
  env: Record<string, string> = {},
) {
  const { NO_COLOR: _, ...inherited } = process.env;
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...inherited, ...env, COMPARE_TEST_RUN: marker },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
    onOutput(stdout, child);
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 75_000);
  const done = once(child, 'exit').then(([code, signal]) => {
    clearTimeout(killer);
    return { code: code as number | null, signal, stdout, stderr };
  });
  return done;
}

/**
 * Processes still running with `marker` in their environment (Linux, through /proc; elsewhere
 * nothing is found and the URL checks remain). Waits up to 2 s for them to go.
 */
async function survivors(marker: string): Promise<string[]> {
  const find = () =>
    !existsSync('/proc/self/environ')
      ? []
      : readdirSync('/proc').filter((pid) => {
          if (!/^\d+$/.test(pid)) return false;
          try {
            return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(
              `COMPARE_TEST_RUN=${marker}`,
            );
          } catch {
            return false;
          }
        });
  for (let i = 0; i < 20 && find().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  return find();
}

/** Whether something still answers at `url`. */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

describe('pnpm compare', () => {
  it('finds the four frameworks identical, prints the table and the trace, writes its reports and stops everything', async () => {
    const report = join(directory, 'report.html');
    const json = join(directory, 'comparison.json');
    const marker = randomUUID();
    const result = await runCompare(['--report', report, '--json', json], marker);
    expect(result.stderr).toBe('');
    expect(result.code, result.stdout).toBe(0);

    const { stdout } = result;
    expect(stdout).toContain(
      'No difference between express, fastify, hono, koa; every expectation met.',
    );
    expect(stdout).toMatch(/^GET \/error {2}expects 500, route \/error$/m);
    expect(stdout).toMatch(/^[ ≠] error\.type( +InventoryUnavailableError){4}/m);
    if (hasGo) {
      expect(stdout).toMatch(
        /^Go \(gin, echo\) beside Node: \d+ explained difference\(s\), 0 unexplained\.$/m,
      );
    } else {
      expect(stdout).toContain('Go columns: skipped (no Go toolchain on PATH');
    }
    expect(stdout).toContain(`HTML report: ${report}`);

    const { services, comparison, distributed } = JSON.parse(readFileSync(json, 'utf8'));
    expect(comparison.frameworks).toEqual(
      hasGo
        ? ['express', 'fastify', 'hono', 'koa', 'gin', 'echo']
        : ['express', 'fastify', 'hono', 'koa'],
    );
    expect(comparison.agreeing).toEqual(['express', 'fastify', 'hono', 'koa']);
    if (hasGo) {
      const ids = new Set(comparison.explained.map((entry: { id: string }) => entry.id));
      expect(ids).toContain('error.type on a 5xx');
      expect(ids).toContain('empty http.route on an unmatched request (Gin)');
    }
    expect(comparison.requests).toHaveLength(13);
    expect(comparison.differences).toEqual([]);
    expect(comparison.problems).toEqual([]);
    const events = comparison.requests.find((r: { label: string }) => r.label === 'GET /events');
    expect(events.fields.find((f: { name: string }) => f.name === 'span events').values.koa).toBe(
      'sse.message ×3',
    );
    const field = (label: string, name: string) =>
      comparison.requests
        .find((r: { label: string }) => r.label === label)
        .fields.find((f: { name: string }) => f.name === name);
    // The long-lived requests, the same in the four frameworks: the event stream resumed after
    // the client's Last-Event-ID, and the WebSocket session's connection span.
    expect(field('GET /events resumed', 'stream').values.hono).toBe(
      'sse: 2 messages, resumed after 1, timed: sse.time_to_first_message, sse.stream.duration',
    );
    const chat = field('WS /chat', 'stream');
    expect(chat.differs && !hasGo).toBe(false);
    for (const framework of ['express', 'fastify', 'hono', 'koa']) {
      expect(chat.values[framework]).toBe(
        'WS /chat (INTERNAL), in 2 (8 B), out 2 (20 B), close 1000 done, events websocket.message received ×2, websocket.message sent ×2, spans chat.reply ×2',
      );
    }
    expect(field('WS /chat', 'status').values.express).toBe('101 UNSET');

    // One trace through the four services (five with Go's storefront): a SERVER span each.
    expect(distributed.problems).toEqual([]);
    expect(distributed.lines[0]).toMatch(
      /^GET \/api\/orders\/:id {2}SERVER {2}gateway \(hono\) {2}200/,
    );
    const servers = distributed.lines.filter((line: string) => line.includes('  SERVER  '));
    expect(servers.map((line: string) => line.match(/SERVER {2}(\w+ \(\w+\))/)?.[1])).toEqual([
      'gateway (hono)',
      ...(hasGo ? ['storefront (gin)'] : []),
      'orders (express)',
      'pricing (fastify)',
      'inventory (koa)',
      'inventory (koa)',
    ]);
    for (const line of distributed.lines) expect(stdout).toContain(line);
    // The baggage member the command sends reached every service, the Go hop included.
    expect(distributed.baggage.seenBy).toEqual([
      'inventory',
      'pricing',
      'orders',
      ...(hasGo ? ['storefront'] : []),
      'gateway',
    ]);
    expect(stdout).toContain(`Baggage ${distributed.baggage.member}: seen by `);

    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('No difference between express, fastify, hono, koa');
    expect(html).not.toMatch(/\s(src|href)=/);

    expect(services).toHaveLength(hasGo ? 11 : 8);
    for (const { url } of services) expect(await answers(url), url).toBe(false);
    expect(await survivors(marker)).toEqual([]);
  });

  it('flags a framework that records differently, and exits 1', async () => {
    // The Koa example, told that POST is not a method it knows: its POST spans become
    // `HTTP /orders` with `http.request.method=_OTHER`, on the span and on the metric.
    const variant = join(directory, 'koa-variant.mjs');
    const koaMain = pathToFileURL(fileURLToPath(new URL('../../koa/src/main.js', import.meta.url)));
    writeFileSync(
      variant,
      `process.env.OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS = 'GET,HEAD';\nawait import('${koaMain.href}');\n`,
    );
    const json = join(directory, 'variant.json');
    const report = join(directory, 'variant.html');
    const marker = randomUUID();
    // Without the Go columns: the variant is about the Node frameworks.
    const result = await runCompare(
      ['--example', `koa=${variant}`, '--json', json, '--report', report],
      marker,
      undefined,
      { OTEL_HTTP_COMPARE_GO: '0' },
    );
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toMatch(
      /^≠ span +POST \/orders +POST \/orders +POST \/orders +HTTP \/orders$/m,
    );

    const { comparison, distributed } = JSON.parse(readFileSync(json, 'utf8'));
    expect(comparison.differences).toContain(
      'POST /orders · span: express=POST /orders · fastify=POST /orders · hono=POST /orders · koa=HTTP /orders',
    );
    expect(comparison.problems).toContain(
      'koa: POST /orders: is counted in no http.server.request.duration series',
    );
    // Nothing else differs: the GET routes and the chain are as before.
    const differing = comparison.requests.filter((request: { fields: { differs: boolean }[] }) =>
      request.fields.some((field) => field.differs),
    );
    expect(differing.map((request: { label: string }) => request.label)).toEqual([
      'POST /orders',
      'POST /orders invalid',
      'POST /orders malformed',
    ]);
    expect(distributed.problems).toEqual([]);
    expect(readFileSync(report, 'utf8')).toContain('<tr class="differs"><td>span</td>');
    expect(await survivors(marker)).toEqual([]);
  });

  it('stops every service it started on Ctrl-C', async () => {
    const urls: string[] = [];
    const marker = randomUUID();
    let interrupted = false;
    const result = await runCompare(
      ['--report', join(directory, 'interrupted.html')],
      marker,
      (stdout, child) => {
        // Interrupt once all eight are listening: their addresses are printed, the traffic is next.
        if (interrupted || !stdout.includes('Sending ')) return;
        interrupted = true;
        urls.push(...(stdout.match(/http:\/\/127\.0\.0\.1:\d+(?= )/g) ?? []));
        child.kill('SIGINT');
      },
    );
    expect(interrupted).toBe(true);
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('Interrupted: stopping every service it started.');
    expect(urls).toHaveLength(hasGo ? 11 : 8);
    for (const url of urls) expect(await answers(url), url).toBe(false);
    expect(await survivors(marker)).toEqual([]);
  });

  it('stops the services it is still starting on Ctrl-C', async () => {
    const marker = randomUUID();
    let interrupted = false;
    const result = await runCompare(
      ['--report', join(directory, 'early.html')],
      marker,
      (stdout, child) => {
        if (interrupted || !stdout.includes('Starting ')) return;
        interrupted = true;
        // Some services are up, some are still starting.
        setTimeout(() => child.kill('SIGINT'), 700);
      },
    );
    expect(interrupted).toBe(true);
    expect(result.code).toBe(130);
    expect(result.stdout).not.toContain('Sending ');
    expect(await survivors(marker)).toEqual([]);
  });
});
