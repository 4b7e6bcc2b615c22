/**
 * Turns what each example produced for the scripted traffic — its spans, log lines and scraped
 * metrics — into one side-by-side comparison: a value per framework for every field of every
 * request, the metric series and families, every difference between frameworks, and every
 * request whose telemetry is not what the script expects. Pure: no I/O.
 */

/** Shown where there is nothing (no span, no attribute, no series). */
export const NONE = '—';

/** The fields compared for each request, in table order. */
export const FIELDS = [
  'response',
  'span',
  'http.route',
  'status',
  'error.type',
  'child spans',
  'span events',
  'stream',
  'log lines',
  'metric series',
];

const DURATION_COUNT = 'http_server_request_duration_count';
const DURATION_BUCKET = 'http_server_request_duration_bucket';
/** Labels every series has and that say nothing about the request. */
const SCOPE_LABELS = ['otel_scope_name', 'otel_scope_version'];

/**
 * @typedef {object} FrameworkRun
 * @property {import('./traffic.js').SentRequest[]} sent - One per scripted request, same order.
 * @property {import('./otlp-protobuf.js').DecodedSpan[]} spans - The spans its process exported.
 * @property {Record<string, unknown>[]} logs - Its JSON log lines.
 * @property {ReturnType<typeof import('./prometheus-text.js').parsePrometheusText>} metrics - Its
 *   scrape after the traffic.
 */

/**
 * @param {readonly import('./traffic.js').ScriptedRequest[]} traffic
 * @param {Record<string, FrameworkRun>} runs - By framework name.
 */
export function compareFrameworks(traffic, runs) {
  const frameworks = Object.keys(runs);
  const differences = [];
  const problems = [];

  const requests = traffic.map((scripted, index) => {
    const observed = {};
    for (const framework of frameworks) {
      const run = runs[framework];
      const view = observe(scripted, run.sent[index], run, sharingSeries(traffic, scripted));
      observed[framework] = view;
      for (const problem of view.problems)
        problems.push(`${framework}: ${scripted.label}: ${problem}`);
    }
    const fields = FIELDS.map((name) => {
      const values = Object.fromEntries(frameworks.map((f) => [f, observed[f].fields[name]]));
      const differs = new Set(Object.values(values)).size > 1;
      if (differs) differences.push(`${scripted.label} · ${name}: ${listValues(values)}`);
      return { name, values, differs };
    });
    return { label: scripted.label, expected: scripted, fields };
  });

  const series = compareSeries(frameworks, runs);
  for (const row of series.filter((entry) => entry.differs)) {
    differences.push(`series ${row.key}: ${listValues(row.values)}`);
  }
  const families = compareFamilies(frameworks, runs);
  for (const row of families.filter((entry) => entry.differs)) {
    differences.push(`metric ${row.name}: ${listValues(row.values)}`);
  }
  return { frameworks, requests, series, families, differences, problems };
}

/**
 * The other scripted requests that land in the same duration series as `scripted` (same method,
 * status code and route), whose count therefore includes them too.
 */
function sharingSeries(traffic, scripted) {
  return traffic
    .filter(
      (other) =>
        other !== scripted &&
        !other.ignored &&
        other.method === scripted.method &&
        other.status === scripted.status &&
        other.route === scripted.route,
    )
    .map((other) => other.label);
}

/** The fields of one request as one framework recorded it, and what is wrong with them. */
function observe(scripted, sent, run, sharing) {
  const problems = [];
  const inTrace = run.spans.filter((span) => span.traceId === sent.traceId);
  const servers = inTrace.filter((span) => span.kind === 'SERVER');
  const server = servers[0];
  const children = server ? inTrace.filter((span) => span.parentSpanId === server.spanId) : [];
  const logs = run.logs.filter((line) => line.trace_id === sent.traceId);
  const series = findSeries(run.metrics, scripted, sent.status);

  const fields = {
    response: sent.status === 0 ? `no answer: ${sent.error}` : String(sent.status),
    span: servers.length > 1 ? `${servers.length} SERVER spans` : (server?.name ?? NONE),
    'http.route': attribute(server, 'http.route'),
    status: server
      ? `${attribute(server, 'http.response.status_code')} ${server.status.code}`
      : NONE,
    'error.type': attribute(server, 'error.type'),
    'child spans': tally(children.map((span) => `${span.name} (${span.kind})`)),
    'span events': tally(server?.events.map(eventLabel) ?? []),
    stream: streamLabel(server, children, inTrace),
    'log lines': tally(logs.map((line) => String(line.msg))),
    'metric series': series ? seriesLabel(series, sharing) : NONE,
  };

  if (sent.status !== scripted.status) {
    problems.push(`answered ${fields.response}, the script expects ${scripted.status}`);
  }
  if (scripted.ignored) {
    if (servers.length > 0) problems.push('is ignored by telemetry, yet has a SERVER span');
    if (series) problems.push('is ignored by telemetry, yet has a metric series');
    return { fields, problems };
  }
  if (servers.length !== 1) problems.push(`has ${servers.length} SERVER spans, expected 1`);
  if (server && server.parentSpanId !== sent.parentSpanId) {
    problems.push("its SERVER span does not continue the caller's trace context");
  }
  const route = server?.attributes['http.route'] ?? null;
  if (server && route !== scripted.route) {
    problems.push(`has http.route ${route ?? 'absent'}, expected ${scripted.route ?? 'none'}`);
  }
  if (!series) problems.push('is counted in no http.server.request.duration series');
  if (scripted.websocket) {
    const connection = connectionSpan(children);
    const sent = scripted.websocket.messages.length;
    if (!connection) problems.push('has no WebSocket connection span under its handshake');
    else if (connection.attributes['websocket.messages_received'] !== sent) {
      problems.push(
        `its connection span counts ${connection.attributes['websocket.messages_received']} messages received, the client sent ${sent}`,
      );
    }
  }
  return { fields, problems };
}

/** The WebSocket connection span (`WS /chat`) among the handshake span's children. */
function connectionSpan(children) {
  return children.find((span) => span.name.startsWith('WS '));
}

/**
 * What a long-lived request recorded about its stream, without the timings (they differ from run
 * to run): an event stream's attributes on the SERVER span, or a WebSocket's connection span, the
 * child of the handshake's, with its counts, close and the spans of the message handlers.
 */
function streamLabel(server, children, inTrace) {
  const attributes = server?.attributes ?? {};
  if (attributes['sse.messages'] !== undefined) {
    const parts = [`sse: ${attributes['sse.messages']} messages`];
    if (attributes['sse.last_event_id'] !== undefined) {
      parts.push(`resumed after ${attributes['sse.last_event_id']}`);
    }
    const timed = ['sse.time_to_first_message', 'sse.stream.duration'].filter(
      (name) => typeof attributes[name] === 'number',
    );
    if (timed.length > 0) parts.push(`timed: ${timed.join(', ')}`);
    return parts.join(', ');
  }
  const connection = connectionSpan(children);
  if (connection === undefined) return NONE;
  const a = connection.attributes;
  const inside = inTrace.filter((span) => span.parentSpanId === connection.spanId);
  const parts = [
    `${connection.name} (${connection.kind})`,
    `in ${a['websocket.messages_received']} (${a['websocket.bytes_received']} B)`,
    `out ${a['websocket.messages_sent']} (${a['websocket.bytes_sent']} B)`,
    `close ${a['websocket.close.code'] ?? '?'}${a['websocket.close.reason'] ? ` ${a['websocket.close.reason']}` : ''}`,
    `events ${tally(connection.events.map((event) => `${event.name} ${event.attributes['websocket.message.direction']}`))}`,
  ];
  if (inside.length > 0) parts.push(`spans ${tally(inside.map((span) => span.name))}`);
  return parts.join(', ');
}

function attribute(span, name) {
  const value = span?.attributes[name];
  return value === undefined ? NONE : String(value);
}

function eventLabel(event) {
  const type = event.attributes['exception.type'];
  return type === undefined ? event.name : `${event.name} ${type}`;
}

/** `a ×2, b` from `[a, b, a]`, sorted, so that the order things happened in does not matter. */
function tally(items) {
  if (items.length === 0) return NONE;
  const counts = new Map();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([item, count]) => (count > 1 ? `${item} ×${count}` : item))
    .join(', ');
}

/** The duration series a request was counted in: same method, status code and route. */
function findSeries(metrics, scripted, status) {
  return metrics.samples.find(
    (sample) =>
      sample.name === DURATION_COUNT &&
      sample.labels.http_request_method === scripted.method &&
      sample.labels.http_response_status_code === String(status) &&
      (sample.labels.http_route ?? null) === scripted.route,
  );
}

/**
 * The series a request was counted in, short: status code, route, error type and the series'
 * count, which also counts the other requests of the script that share the series (`sharing`):
 * `400 /orders, count 2 (this and POST /orders malformed)`. The series table compares the full
 * label sets.
 */
export function seriesLabel({ labels, value }, sharing = []) {
  const parts = [labels.http_response_status_code, labels.http_route ?? '(no route)'];
  if (labels.error_type !== undefined) parts.push(labels.error_type);
  const shared = sharing.length > 0 ? ` (this and ${sharing.join(', ')})` : '';
  return `${parts.join(' ')}, count ${value}${shared}`;
}

function labelText(labels) {
  return `{${Object.keys(labels)
    .filter((key) => !SCOPE_LABELS.includes(key))
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(', ')}}`;
}

/** Every duration series of every framework, with its count in each. */
function compareSeries(frameworks, runs) {
  const rows = new Map();
  for (const framework of frameworks) {
    for (const sample of runs[framework].metrics.samples) {
      if (sample.name !== DURATION_COUNT) continue;
      const key = labelText(sample.labels);
      if (!rows.has(key)) rows.set(key, { key, values: {} });
      rows.get(key).values[framework] = String(sample.value);
    }
  }
  return [...rows.values()]
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((row) => {
      const values = Object.fromEntries(frameworks.map((f) => [f, row.values[f] ?? NONE]));
      return { key: row.key, values, differs: new Set(Object.values(values)).size > 1 };
    });
}

/** Type, unit and (for the duration histogram) bucket boundaries of each `http_server_*` family. */
function compareFamilies(frameworks, runs) {
  const names = new Set();
  for (const framework of frameworks) {
    for (const name of runs[framework].metrics.families.keys()) {
      if (name.startsWith('http_server_')) names.add(name);
    }
  }
  return [...names].sort().map((name) => {
    const values = Object.fromEntries(
      frameworks.map((framework) => [framework, familyLabel(runs[framework].metrics, name)]),
    );
    return { name, values, differs: new Set(Object.values(values)).size > 1 };
  });
}

function familyLabel(metrics, name) {
  const family = metrics.families.get(name);
  if (family === undefined) return NONE;
  let label = `${family.type ?? '?'} ${family.unit ?? ''}`.trim();
  if (`${name}_bucket` === DURATION_BUCKET) {
    const bounds = new Set(
      metrics.samples.filter((sample) => sample.name === DURATION_BUCKET).map((s) => s.labels.le),
    );
    label += ` le=${[...bounds].join(',')}`;
  }
  return label;
}

function listValues(values) {
  return Object.entries(values)
    .map(([framework, value]) => `${framework}=${value}`)
    .join(' · ');
}
