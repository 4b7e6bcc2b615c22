/**
 * The part of Vitest's API the conformance suite uses (`describe`, `it`, `beforeAll`, `afterAll`,
 * `expect`), for runtimes Vitest does not run on. The runner bundles the suite with `vitest`
 * resolved to this file. `expect` is Vitest's own, from `@vitest/expect` on chai, so every
 * assertion means exactly what it means under Vitest; the tests run one after another, in
 * declaration order, as Vitest runs one file.
 */
import {
  type ExpectStatic,
  GLOBAL_EXPECT,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from '@vitest/expect';
import * as chai from 'chai';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

// The plugins above turn chai's `expect` into Vitest's.
export const expect = chai.expect as unknown as ExpectStatic;
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect;
setState({ assertionCalls: 0, isExpectingAssertions: false, expand: false }, expect);

type Hook = () => unknown;

interface Suite {
  readonly title: string;
  readonly beforeAll: Hook[];
  readonly afterAll: Hook[];
  /** Run after each test of this suite (not of nested suites, which the suites here do not have). */
  readonly afterEach: Hook[];
  readonly entries: Array<Suite | Test>;
}

interface Test {
  readonly title: string;
  readonly fn: Hook;
}

/** What one test did, in the words of Vitest's JSON report. */
export interface TestResult {
  readonly ancestorTitles: string[];
  readonly title: string;
  readonly status: 'passed' | 'failed';
  readonly failureMessages: string[];
  readonly duration: number;
}

const root: Suite = { title: '', beforeAll: [], afterAll: [], afterEach: [], entries: [] };
let current = root;

export function describe(title: string, body: () => void): void {
  const suite: Suite = { title, beforeAll: [], afterAll: [], afterEach: [], entries: [] };
  current.entries.push(suite);
  const parent = current;
  current = suite;
  try {
    body();
  } finally {
    current = parent;
  }
}

export function it(title: string, fn: Hook): void {
  current.entries.push({ title, fn });
}

export const test = it;

export function beforeAll(fn: Hook): void {
  current.beforeAll.push(fn);
}

export function afterAll(fn: Hook): void {
  current.afterAll.push(fn);
}

export function afterEach(fn: Hook): void {
  current.afterEach.push(fn);
}

/** The message of a failed assertion with what it compared, as Vitest would show it. */
function failure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { actual, expected, showDiff } = error as Error & Record<string, unknown>;
  const compared = showDiff
    ? `\nexpected: ${stringify(expected)}\nactual:   ${stringify(actual)}`
    : '';
  return `${error.message}${compared}\n${error.stack ?? ''}`;
}

function stringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? `${item}n` : item));
  } catch {
    return String(value);
  }
}

/** Runs every declared test in order and returns what each did. */
export async function runDeclared(): Promise<TestResult[]> {
  const results: TestResult[] = [];
  await runSuite(root, [], results, undefined);
  return results;
}

async function runSuite(
  suite: Suite,
  ancestors: string[],
  results: TestResult[],
  inherited: string | undefined,
): Promise<void> {
  const titles = suite.title === '' ? ancestors : [...ancestors, suite.title];
  let setupFailed = inherited;
  for (const hook of suite.beforeAll) {
    if (setupFailed !== undefined) break;
    try {
      await hook();
    } catch (error) {
      setupFailed = `beforeAll failed: ${failure(error)}`;
    }
  }
  for (const entry of suite.entries) {
    if ('entries' in entry) {
      await runSuite(entry, titles, results, setupFailed);
      continue;
    }
    const started = performance.now();
    let failureMessages: string[] = [];
    if (setupFailed !== undefined) failureMessages = [setupFailed];
    else {
      try {
        await entry.fn();
      } catch (error) {
        failureMessages = [failure(error)];
      }
      for (const hook of suite.afterEach) {
        try {
          await hook();
        } catch (error) {
          failureMessages.push(`afterEach failed: ${failure(error)}`);
        }
      }
    }
    results.push({
      ancestorTitles: titles,
      title: entry.title,
      status: failureMessages.length === 0 ? 'passed' : 'failed',
      failureMessages,
      duration: Math.round(performance.now() - started),
    });
  }
  for (const hook of suite.afterAll) {
    try {
      await hook();
    } catch (error) {
      console.error(`afterAll of ${titles.join(' > ')} failed: ${failure(error)}`);
    }
  }
}
