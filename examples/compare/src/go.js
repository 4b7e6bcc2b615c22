/**
 * The Go services beside the Node ones: the shop on Gin and on Echo (`examples/go`) and the chain's
 * Go hop. They are built with the Go toolchain on `PATH` into a temporary directory; without one the
 * comparison runs without them and says so. `OTEL_HTTP_REQUIRE_GO=1` (CI) makes a missing or
 * failing toolchain an error instead; `OTEL_HTTP_COMPARE_GO=0` leaves Go out.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Go examples, in table order, with the command of each. */
export const GO_EXAMPLES = ['gin', 'echo'];

const MODULE_DIR = fileURLToPath(new URL('../../go/', import.meta.url));
const PROGRAMS = { gin: 'shop-gin', echo: 'shop-echo', storefront: 'storefront' };

/**
 * @typedef {object} GoBuild
 * @property {boolean} available
 * @property {string} note - What happened, one line.
 * @property {Record<string, string>} programs - Path of each built program, by name.
 * @property {() => void} remove - Deletes the built programs.
 */

/** Builds the Go programs, or explains why not. @returns {GoBuild} */
export function buildGo(env = process.env) {
  const none = (note) => ({ available: false, note, programs: {}, remove() {} });
  if (env.OTEL_HTTP_COMPARE_GO === '0') {
    return none('OTEL_HTTP_COMPARE_GO=0: the Go columns (gin, echo) and the Go hop are skipped');
  }
  const version = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    return none('no Go toolchain on PATH: the Go columns (gin, echo) and the Go hop are skipped');
  }
  const dir = mkdtempSync(join(tmpdir(), 'otel-http-go-'));
  const build = spawnSync(
    'go',
    ['build', '-o', dir, ...Object.values(PROGRAMS).map((name) => `./cmd/${name}`)],
    { cwd: MODULE_DIR, encoding: 'utf8', env, timeout: 600_000 },
  );
  const remove = () => rmSync(dir, { recursive: true, force: true });
  if (build.status !== 0) {
    remove();
    return none(`go build failed, the Go columns are skipped:\n${build.stderr || build.error}`);
  }
  const programs = Object.fromEntries(
    Object.entries(PROGRAMS).map(([name, program]) => [name, join(dir, program)]),
  );
  return { available: true, note: version.stdout.trim(), programs, remove };
}

/** Whether a missing Go must fail the comparison (CI sets it). */
export function goRequired(env = process.env) {
  if (env.OTEL_HTTP_COMPARE_GO === '0') return false;
  return env.OTEL_HTTP_REQUIRE_GO === '1' || env.OTEL_HTTP_REQUIRE_GO === 'true';
}
