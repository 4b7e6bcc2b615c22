// `pnpm --filter @otel-http/benchmarks render results/node24.json`: rebuilds the summary, the
// targets, the Markdown and the SVG from the runs a JSON result holds — after a change to the
// statistics or the reports, without measuring again.

import { readFileSync, writeFileSync } from 'node:fs';
import { renderMarkdown } from './report/markdown.mjs';
import { buildResult } from './report/result.mjs';
import { renderSvg } from './report/svg.mjs';
import { collectWarnings, runOnlyWarnings } from './warnings.mjs';

const files = process.argv.slice(2).filter((arg) => arg !== '--');
if (files.length === 0) {
  console.error('usage: render <result.json>...');
  process.exit(2);
}
for (const file of files) {
  /** @type {import('./report/result.mjs').BenchmarkResult} */
  const previous = JSON.parse(readFileSync(file, 'utf8'));
  const frameworks = [...new Set(previous.summary.map((cell) => cell.framework))];
  // Each framework's own modes, as measured (the Go rows have modes of their own).
  /** @param {string} framework */
  const modes = (framework) => [
    ...new Set(previous.runs.filter((run) => run.framework === framework).map((run) => run.mode)),
  ];
  // Only what the run alone could tell is kept; every other warning is made again by today's rules.
  const result = buildResult(
    { ...previous.meta, warnings: runOnlyWarnings(previous.meta.warnings) },
    previous.runs,
    frameworks,
    modes,
  );
  result.meta.warnings.push(...collectWarnings(result));
  const base = file.replace(/\.json$/, '');
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, renderMarkdown(result));
  writeFileSync(`${base}.svg`, renderSvg(result));
  console.error(`Rendered ${base}.{json,md,svg}`);
}
