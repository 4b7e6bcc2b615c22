/**
 * The comparison as terminal text: a side-by-side table per request (one column per framework,
 * long values wrapped inside their column, `≠` in front of every row where the frameworks
 * disagree), the metric series and families, the distributed trace as a tree, and the verdict.
 */

const LABEL_WIDTH = 15;
const COLUMN_WIDTH = 28;

/**
 * @param {ReturnType<typeof import('./comparison.js').compareFrameworks>} comparison
 * @param {object} distributed
 * @param {string[]} distributed.lines - The trace tree, one span per line.
 * @param {string[]} distributed.problems
 * @param {{ color?: boolean }} [options]
 * @returns {string}
 */
export function renderText(comparison, distributed, { color = false } = {}) {
  const paint = (code, text) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const red = (text) => paint('31', text);
  const bold = (text) => paint('1', text);
  const dim = (text) => paint('2', text);
  const { frameworks } = comparison;
  const out = [];

  out.push(bold('Side by side: the same requests to each example'));
  out.push(
    `  ${''.padEnd(LABEL_WIDTH)}${frameworks.map((f) => bold(f.padEnd(COLUMN_WIDTH))).join('')}`,
  );
  for (const request of comparison.requests) {
    const { status, route, ignored } = request.expected;
    const expectation = ignored
      ? `expects ${status}, ignored by telemetry`
      : `expects ${status}, route ${route ?? 'none'}`;
    out.push('');
    out.push(`${bold(request.label)}  ${dim(expectation)}`);
    for (const field of request.fields) {
      const cells = frameworks.map((f) => wrap(field.values[f], COLUMN_WIDTH - 2));
      const height = Math.max(...cells.map((cell) => cell.length));
      for (let line = 0; line < height; line++) {
        const marker = line === 0 && field.differs ? red('≠ ') : '  ';
        const label = line === 0 ? field.name : '';
        const row = cells.map((cell) => (cell[line] ?? '').padEnd(COLUMN_WIDTH)).join('');
        out.push(marker + label.padEnd(LABEL_WIDTH) + (field.differs ? red(row) : row).trimEnd());
      }
    }
  }

  out.push('');
  out.push(bold('Metric series: http_server_request_duration_count by label set'));
  out.push(`  ${frameworks.map((f) => f.padStart(8)).join('')}  labels`);
  for (const row of comparison.series) {
    const counts = frameworks.map((f) => row.values[f].padStart(8)).join('');
    const line = `${counts}  ${row.key}`;
    out.push((row.differs ? red('≠ ') : '  ') + (row.differs ? red(line) : line));
  }

  out.push('');
  out.push(bold('Metric families'));
  for (const family of comparison.families) {
    const values = Object.values(family.values);
    if (!family.differs) {
      out.push(`  ${family.name}: ${values[0]} ${dim('(all)')}`);
      continue;
    }
    out.push(red(`≠ ${family.name}`));
    for (const framework of frameworks)
      out.push(red(`    ${framework}: ${family.values[framework]}`));
  }

  out.push('');
  out.push(bold('Distributed trace: one request through every service of the chain'));
  for (const line of distributed.lines) out.push(`  ${line}`);

  out.push('');
  const { differences, problems } = comparison;
  const allProblems = [...problems, ...distributed.problems.map((p) => `distributed: ${p}`)];
  if (differences.length === 0 && allProblems.length === 0) {
    const agreeing = comparison.agreeing ?? frameworks;
    out.push(bold(`No difference between ${agreeing.join(', ')}; every expectation met.`));
  } else {
    if (differences.length > 0) {
      out.push(red(bold(`${differences.length} unexplained difference(s) between frameworks:`)));
      for (const difference of differences) out.push(red(`  ≠ ${difference}`));
    }
    if (allProblems.length > 0) {
      out.push(red(bold(`${allProblems.length} expectation(s) not met:`)));
      for (const problem of allProblems) out.push(red(`  ✗ ${problem}`));
    }
  }
  return out.join('\n');
}

/** Splits `text` into lines of at most `width` characters, at `, ` or spaces where possible. */
export function wrap(text, width) {
  const lines = [];
  let rest = String(text);
  while (rest.length > width) {
    let cut = rest.lastIndexOf(', ', width - 1);
    if (cut > 0) cut += 1;
    else cut = rest.lastIndexOf(' ', width);
    if (cut <= 0) cut = width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}
