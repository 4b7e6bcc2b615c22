import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CHECK_IDS } from '@otel-http/conformance';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRunner } from './build.js';
import {
  RUNTIMES,
  type RuntimeName,
  requireRuntime,
  run,
  runtimeEnv,
  scratchDir,
} from './runtimes.js';
import type { TestResult } from './vitest-shim.js';

/** One runner process may take this long: the whole suite is about ten seconds on Node. */
const RUN_TIMEOUT_MS = 180_000;

/** What `runner.ts` writes. */
export interface RunnerReport {
  readonly runtime: string;
  readonly version: string;
  readonly server: string;
  /** Checks the server cannot pass, with the reason: their failure is accepted. */
  readonly exceptions: Readonly<Record<string, string>>;
  readonly results: TestResult[];
}

/**
 * Declares one describe block per server: its `beforeAll` runs the whole conformance suite inside
 * the runtime's real binary (`runner.ts`, bundled), and each check becomes a Vitest test here that
 * passes when it passed there. The suite's client, SDK and assertions all run on that runtime.
 *
 * The block is named `otel-http conformance: <server> on <Runtime> <version>`, the name the
 * conformance table is generated from.
 */
export function conformanceOn(
  name: RuntimeName,
  servers: ReadonlyArray<{ readonly key: string; readonly title: string }>,
  args: readonly string[] = [],
): void {
  const runtime = requireRuntime(name);
  const { title } = RUNTIMES[name];
  const version = runtime.found ? runtime.version.replace(/^\D*/, '').split(/\s/)[0] : '';
  const dir = scratchDir(name);
  const bundle = join(dir, 'runner.mjs');
  let built: Promise<void> | undefined;

  for (const server of servers) {
    describe.skipIf(!runtime.found)(
      `otel-http conformance: ${server.title} on ${title} ${version}`,
      () => {
        const byId = new Map<string, TestResult>();
        let exceptions: Readonly<Record<string, string>> = {};
        let output = '';
        beforeAll(async () => {
          if (!runtime.found) return;
          built ??= buildRunner(bundle);
          await built;
          const report = join(dir, `${server.key}.json`);
          rmSync(report, { force: true });
          const finished = await run(runtime.path, [...args, bundle, server.key, report], {
            cwd: dir,
            env: runtimeEnv(),
            timeoutMs: RUN_TIMEOUT_MS,
          });
          output = finished.output;
          console.log(output);
          if (finished.code !== 0) {
            throw new Error(`${title} exited with ${finished.code ?? finished.signal}:\n${output}`);
          }
          const parsed = JSON.parse(readFileSync(report, 'utf8')) as RunnerReport;
          exceptions = parsed.exceptions;
          const keep = process.env.OTEL_HTTP_RUNTIME_REPORTS;
          if (keep) {
            mkdirSync(keep, { recursive: true });
            copyFileSync(report, join(keep, `runtime-${name}-${server.key}.json`));
          }
          for (const result of parsed.results) {
            byId.set(result.title.slice(0, result.title.indexOf(': ')), result);
          }
        });

        for (const id of CHECK_IDS) {
          it(id, () => {
            const result = byId.get(id);
            if (result === undefined) throw new Error(`${id} did not run on ${title}:\n${output}`);
            // A listed exception may fail; it is shown as one in the conformance table.
            if (exceptions[id] !== undefined && result.status === 'failed') return;
            expect(result.failureMessages.join('\n'), result.title).toBe('');
            expect(result.status).toBe('passed');
          });
        }
      },
    );
  }
}
