// Reads one Vitest JSON report and prints "<passed> <failed>" on stdout; the names of failing
// tests and of test files that failed without running a test (import errors, failing hooks) go
// to stderr for the log. Counting from the report, not from Vitest's console summary, keeps the
// closing line of .ci/run independent of reporter formatting.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [reportPath] = process.argv.slice(2);
const report = JSON.parse(readFileSync(reportPath, 'utf8'));

let passed = 0;
let failed = 0;
for (const file of report.testResults ?? []) {
  const name = relative(process.cwd(), file.name);
  let failedHere = 0;
  for (const test of file.assertionResults ?? []) {
    if (test.status === 'passed') passed += 1;
    else if (test.status === 'failed') {
      failedHere += 1;
      console.error(`  failed: ${name} > ${test.fullName ?? test.title}`);
    }
  }
  // A file that failed as a whole (it did not load, or a hook threw) counts as one failure
  // even though none of its tests reported one.
  if (file.status === 'failed' && failedHere === 0) {
    failedHere = 1;
    const reason = (file.message ?? '').split('\n')[0];
    console.error(`  failed: ${name} (file did not run: ${reason || 'no message'})`);
  }
  failed += failedHere;
}

console.log(`${passed} ${failed}`);
