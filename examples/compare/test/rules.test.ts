// The shipped Prometheus rules under promtool (Debian's prometheus package): the unit tests in
// otel-http-red.test.yml pass, they fail when a rule is changed, and a rule file with a syntax error
// is rejected with promtool's message, as CI's "promtool" step does.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const promtool = findOnPath('promtool');
const rules = fileURLToPath(new URL('../../observability/prometheus/rules/', import.meta.url));
const shippedRules = readFileSync(join(rules, 'otel-http-red.rules.yml'), 'utf8');
const shippedTests = readFileSync(join(rules, 'otel-http-red.test.yml'), 'utf8');

describe.skipIf(promtool === undefined && !process.env.CI)(
  'the Prometheus rules under promtool',
  () => {
    const directory = mkdtempSync(join(tmpdir(), 'otel-http-rules-'));
    afterAll(() => rmSync(directory, { recursive: true, force: true }));

    /** Runs promtool on a copy of the rules (changed by `edit`) next to a copy of their tests. */
    function run(args: string[], edit: (text: string) => string = (text) => text) {
      writeFileSync(join(directory, 'otel-http-red.rules.yml'), edit(shippedRules));
      writeFileSync(join(directory, 'otel-http-red.test.yml'), shippedTests);
      return spawnSync(promtool as string, args, {
        cwd: directory,
        encoding: 'utf8',
        timeout: 120_000,
      });
    }

    it('passes the unit tests of every rule', () => {
      const result = run(['test', 'rules', 'otel-http-red.test.yml']);
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('SUCCESS');
      // Every alert is tested.
      for (const [, alert] of shippedRules.matchAll(/- alert: (\S+)/g)) {
        expect(shippedTests, alert).toContain(`alertname: ${alert}\n`);
      }
    });

    it('fails the unit tests when a threshold changes', () => {
      const result = run(['test', 'rules', 'otel-http-red.test.yml'], (text) =>
        text.replace(
          'route:http_server_error_ratio:rate5m > 0.05',
          'route:http_server_error_ratio:rate5m > 1',
        ),
      );
      expect(result.status).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/alertname: HttpRouteErrorRatioHigh/);
    });

    it("rejects a rule file with a syntax error, with promtool's message", () => {
      const result = run(['check', 'rules', 'otel-http-red.rules.yml'], (text) =>
        text.replace(
          'sum by (job, service, framework, http_route) (rate(',
          'sum by (job, service (rate(',
        ),
      );
      expect(result.status).toBe(1);
      expect(result.stdout + result.stderr).toMatch(/FAILED[\s\S]*parse error/);
    });
  },
);

function findOnPath(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
