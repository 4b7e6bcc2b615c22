/**
 * The distributed trace as a tree, and the checks that make it one trace through all four
 * services: a single root continuing the caller's context, no span whose parent is missing, and
 * every outgoing HTTP call answered by a SERVER span of the service it called. Pure: no I/O.
 */

/**
 * @typedef {object} TraceNode
 * @property {import('./otlp-protobuf.js').DecodedSpan} span
 * @property {string} service - `service.name` of the process that recorded it.
 * @property {TraceNode[]} children - By start time.
 */

/**
 * @param {import('./otlp-protobuf.js').DecodedSpan[]} spans - The spans of the trace, from every
 *   service.
 * @param {object} expected
 * @param {string} expected.parentSpanId - The caller's span id the client sent.
 * @param {readonly string[]} expected.services - Services that must each have a SERVER span.
 * @returns {{ roots: TraceNode[], problems: string[] }}
 */
export function buildTraceTree(spans, { parentSpanId, services }) {
  const problems = [];
  const nodes = new Map(
    spans.map((span) => [
      span.spanId,
      { span, service: String(span.resource['service.name'] ?? '?'), children: [] },
    ]),
  );
  const roots = [];
  for (const node of nodes.values()) {
    const parent = nodes.get(node.span.parentSpanId);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  for (const node of nodes.values()) node.children.sort(byStart);
  roots.sort(byStart);

  if (spans.length === 0) problems.push('no span of the distributed request arrived');
  if (new Set(spans.map((span) => span.traceId)).size > 1) problems.push('spans of several traces');
  if (roots.length > 1) {
    problems.push(`${roots.length} roots: some spans have a parent that never arrived`);
  }
  const [root] = roots;
  if (root && root.span.parentSpanId !== parentSpanId) {
    problems.push("the root span does not continue the caller's trace context");
  }
  for (const service of services) {
    const has = [...nodes.values()].some((n) => n.service === service && n.span.kind === 'SERVER');
    if (!has) problems.push(`no SERVER span from ${service}`);
  }
  for (const node of nodes.values()) {
    const isHttpCall = node.span.kind === 'CLIENT' && 'http.request.method' in node.span.attributes;
    if (!isHttpCall) continue;
    const answered = node.children.some(
      (child) => child.span.kind === 'SERVER' && child.service !== node.service,
    );
    if (!answered) {
      problems.push(
        `${node.service}'s call ${node.span.name} ${node.span.attributes['url.full']} has no SERVER child`,
      );
    }
  }
  return { roots, problems };
}

function byStart(a, b) {
  const diff = a.span.startTimeUnixNano - b.span.startTimeUnixNano;
  return diff < 0n ? -1 : diff > 0n ? 1 : 0;
}

/**
 * The tree as text lines, one span per line:
 * `GET /orders/:id  SERVER  orders (express)  200  12.3 ms`.
 *
 * @param {TraceNode[]} roots
 * @param {Record<string, string>} frameworkOf - Framework of each service.
 */
export function formatTraceTree(roots, frameworkOf) {
  const lines = [];
  const walk = (node, prefix, childPrefix) => {
    lines.push(prefix + describeSpan(node, frameworkOf));
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      walk(child, childPrefix + (last ? '└─ ' : '├─ '), childPrefix + (last ? '   ' : '│  '));
    });
  };
  for (const root of roots) walk(root, '', '');
  return lines;
}

/** One line of the tree. */
export function describeSpan({ span, service }, frameworkOf) {
  const framework = frameworkOf[service];
  const parts = [span.name, span.kind, framework ? `${service} (${framework})` : service];
  const status = span.attributes['http.response.status_code'];
  if (status !== undefined) parts.push(String(status));
  if (span.status.code === 'ERROR')
    parts.push(`ERROR ${span.attributes['error.type'] ?? ''}`.trim());
  if (span.kind === 'CLIENT' && span.attributes['url.full']) {
    parts.push(`→ ${new URL(String(span.attributes['url.full'])).pathname}`);
  }
  const ms = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;
  parts.push(`${ms.toFixed(1)} ms`);
  return parts.join('  ');
}
