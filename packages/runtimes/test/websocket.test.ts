import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WEBSOCKET_CHECKS } from '@otel-http/conformance';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRunner } from '../src/build.js';
import {
  RUNTIMES,
  type RuntimeName,
  requireRuntime,
  run,
  runtimeEnv,
  scratchDir,
} from '../src/runtimes.js';
import type { TestResult } from '../src/vitest-shim.js';

const RUN_TIMEOUT_MS = 120_000;

/**
 * Hono's WebSocket helper of each runtime, wrapped by `traceUpgradeWebSocket`, through the same
 * WebSocket suite as the Node stacks: `websocket-runner.ts`, bundled, runs it inside the
 * runtime's binary; each check is one test here.
 */
function websocketsOn(name: RuntimeName, args: readonly string[] = []): void {
  const runtime = requireRuntime(name);
  const { title } = RUNTIMES[name];
  const version = runtime.found ? runtime.version.replace(/^\D*/, '').split(/\s/)[0] : '';
  describe.skipIf(!runtime.found)(
    `otel-http WebSocket sessions: hono (${title}.serve, traceUpgradeWebSocket) on ${title} ${version}`,
    () => {
      const byTitle = new Map<string, TestResult>();
      let output = '';
      beforeAll(async () => {
        if (!runtime.found) return;
        const dir = scratchDir(name);
        const bundle = join(dir, 'websocket-runner.mjs');
        await buildRunner(bundle, './websocket-runner.ts');
        const report = join(dir, 'websocket.json');
        rmSync(report, { force: true });
        const finished = await run(runtime.path, [...args, bundle, report], {
          cwd: dir,
          env: runtimeEnv(),
          timeoutMs: RUN_TIMEOUT_MS,
        });
        output = finished.output;
        if (finished.code !== 0) {
          throw new Error(`${title} exited with ${finished.code ?? finished.signal}:\n${output}`);
        }
        const parsed = JSON.parse(readFileSync(report, 'utf8')) as { results: TestResult[] };
        for (const result of parsed.results) byTitle.set(result.title, result);
      }, RUN_TIMEOUT_MS + 30_000);

      for (const check of Object.values(WEBSOCKET_CHECKS)) {
        it(check, () => {
          const result = byTitle.get(check);
          if (result === undefined) throw new Error(`did not run on ${title}:\n${output}`);
          expect(result.failureMessages.join('\n'), result.title).toBe('');
          expect(result.status).toBe('passed');
        });
      }
    },
  );
}

websocketsOn('bun');
websocketsOn('deno', ['run', '--allow-all', '--quiet']);
