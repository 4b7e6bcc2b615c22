/**
 * The comparison as one self-contained HTML page (inline styles, no script, nothing fetched): the
 * same tables and tree as the terminal output, with the differing rows highlighted.
 */

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1b1f24; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; max-width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .3rem .55rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td { font-family: ui-monospace, monospace; font-size: 12.5px; overflow-wrap: anywhere; }
td.name { white-space: nowrap; }
td small { font-family: system-ui, sans-serif; color: #57606a; }
tr.differs td { background: #ffebe9; }
tr.differs td:first-child::before { content: '≠ '; color: #cf222e; font-weight: bold; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
caption small { font-weight: normal; color: #57606a; }
pre { background: #f6f8fa; padding: 1rem; overflow-x: auto; }
.ok { color: #1a7f37; } .bad { color: #cf222e; }
`;

/**
 * @param {ReturnType<typeof import('./comparison.js').compareFrameworks>} comparison
 * @param {{ lines: string[], problems: string[] }} distributed
 * @param {{ generatedAt: string, services: { name: string, framework: string, url: string }[] }} meta
 * @returns {string}
 */
export function renderHtml(comparison, distributed, meta) {
  const { frameworks, differences, problems } = comparison;
  const allProblems = [...problems, ...distributed.problems.map((p) => `distributed: ${p}`)];
  const head = `<tr><th>field</th>${frameworks.map((f) => `<th>${html(f)}</th>`).join('')}</tr>`;

  const requestTables = comparison.requests
    .map((request) => {
      const { status, route, ignored } = request.expected;
      const expectation = ignored
        ? `expects ${status}, ignored by telemetry`
        : `expects ${status}, route ${route ?? 'none'}`;
      const rows = request.fields
        .map(
          (field) =>
            `<tr${field.differs ? ' class="differs"' : ''}><td>${html(field.name)}</td>${frameworks
              .map((f) => `<td>${html(field.values[f])}</td>`)
              .join('')}</tr>`,
        )
        .join('\n');
      return `<table><caption>${html(request.label)} <small>${html(expectation)}</small></caption>\n${head}\n${rows}\n</table>`;
    })
    .join('\n');

  const seriesRows = comparison.series
    .map(
      (row) =>
        `<tr${row.differs ? ' class="differs"' : ''}><td>${html(row.key)}</td>${frameworks
          .map((f) => `<td>${html(row.values[f])}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  // A family's description (type, unit, every bucket boundary) is long: written once across the
  // columns when the frameworks agree, and breakable after each comma either way.
  const familyRows = comparison.families
    .map((row) =>
      row.differs
        ? `<tr class="differs"><td class="name">${html(row.name)}</td>${frameworks
            .map((f) => `<td>${breakable(row.values[f])}</td>`)
            .join('')}</tr>`
        : `<tr><td class="name">${html(row.name)}</td><td colspan="${frameworks.length}">${breakable(
            row.values[frameworks[0]],
          )} <small>(all ${frameworks.length})</small></td></tr>`,
    )
    .join('\n');
  const frameworkHead = frameworks.map((f) => `<th>${html(f)}</th>`).join('');

  const verdict =
    differences.length === 0 && allProblems.length === 0
      ? `<p class="ok">No difference between ${html((comparison.agreeing ?? frameworks).join(', '))}; every expectation met.</p>`
      : `${list('Differences between frameworks', differences)}${list('Expectations not met', allProblems)}`;
  const explained = (comparison.explained ?? []).map(
    ({ text, id, kind, why }) => `${text} — ${id} (${kind}): ${why}`,
  );
  const goVerdict = explained.length > 0 ? list('Go beside Node, each explained', explained) : '';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>otel-http: the four frameworks side by side</title>
<style>${STYLE}</style>
</head>
<body>
<h1>otel-http: the four frameworks side by side</h1>
<p>Generated ${html(meta.generatedAt)} by <code>pnpm compare</code>: the same scripted requests were
sent to ${html(meta.services.map((s) => `${s.name} (${s.url})`).join(', '))}; their spans were received
over OTLP and their metrics scraped from their Prometheus endpoints.</p>
<h2>Verdict</h2>
${verdict}${goVerdict}
<h2>Requests</h2>
${requestTables}
<h2>Metric series</h2>
<table><caption>http_server_request_duration_count by label set</caption>
<tr><th>labels</th>${frameworkHead}</tr>
${seriesRows}
</table>
<h2>Metric families</h2>
<table><tr><th>family</th>${frameworkHead}</tr>
${familyRows}
</table>
<h2>Distributed trace</h2>
<p>One request through gateway (Hono) → orders (Express) → pricing (Fastify) → inventory (Koa).</p>
<pre>${html(distributed.lines.join('\n'))}</pre>
</body>
</html>
`;
}

function list(title, items) {
  if (items.length === 0) return '';
  return `<p class="bad">${html(title)}:</p><ul>${items.map((item) => `<li>${html(item)}</li>`).join('')}</ul>`;
}

/** Escaped, with a line-break opportunity after every comma. */
function breakable(value) {
  return html(value).replaceAll(',', ',<wbr>');
}

function html(value) {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
