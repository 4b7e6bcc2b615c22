/**
 * Where the Go columns (Gin with otelgin, Echo with otelhttp) differ from the four Node ones, and
 * why. `pnpm compare` fails on a difference between the Node frameworks, as before, and on a Go
 * difference that no entry here explains; the explained ones are printed with their reason.
 * `examples/go/README.md` says the same at length. Pure: no I/O.
 */
import { compareFrameworks } from './comparison.js';

/**
 * @typedef {object} Explanation
 * @property {string} id - Short name, also the heading in examples/go/README.md.
 * @property {'go-choice' | 'go-defect' | 'two-readings'} kind
 * @property {RegExp} matches - Matched against the text of a difference or an expectation.
 * @property {string} why
 */

/** @type {readonly Explanation[]} */
export const GO_EXPLANATIONS = [
  {
    id: 'error.type on a 5xx',
    kind: 'two-readings',
    matches:
      /^GET \/error · (error\.type|metric series):|^series \{error_type=(InventoryUnavailableError|500),/,
    why:
      'a handler error answered as 500: ours takes the error (the request failed before a status ' +
      'was sent) and writes its class, span and metric; otelgin and otelhttp set no error.type, so ' +
      'the Go examples add the status code, "500", to the metric (the conventions\' value for a 5xx ' +
      'without an error of its own) and the span keeps none',
  },
  {
    id: 'exception.type',
    kind: 'two-readings',
    matches: /^GET \/error · span events:/,
    why:
      'exception.type is "the type of the exception": Go writes the Go type (*shop.InventoryUnavailableError), ' +
      'ours the class name (InventoryUnavailableError)',
  },
  {
    id: 'empty http.route on an unmatched request (Gin)',
    kind: 'go-defect',
    matches:
      /^GET \/no\/such\/page · http\.route:|^gin: GET \/no\/such\/page: has http\.route , expected none$/,
    why:
      'otelgin sets http.route from c.FullPath() when the span starts, also when no route matched: ' +
      'an empty http.route on the 404 span (not on its metric); the conventions say no attribute',
  },
  {
    id: 'more labels on the duration series',
    kind: 'go-choice',
    // A Go series (it has the Go labels) or a Node one that no Go column has under that label set.
    matches: /^series \{.*(network_protocol_name=|· gin=— · echo=—$)/,
    why:
      'the Go series carry network_protocol_name, server_address and server_port (opt-in in the ' +
      'conventions; otelgin puts its service argument in server_address) and an empty ' +
      'otel_scope_schema_url; every label of ours is on them too, so sum by (...) queries serve both',
  },
  {
    id: 'no WebSocket chat (Go)',
    kind: 'go-choice',
    matches:
      /^WS \/chat · |^(gin|echo): WS \/chat: |^GET \/no\/such\/page · metric series:|^series \{.*http_response_status_code=101[,}]/,
    why:
      'the Go examples serve no /chat WebSocket: otelgin and otelhttp trace an upgrade as a plain ' +
      'request and have nothing for the connection, so the handshake is their unmatched 404 (which ' +
      "also lands in the 404 series of GET /no/such/page); ours records the handshake's 101 and a " +
      "WS /chat connection span with counts, bytes, the close and the message handlers' spans",
  },
  {
    id: 'event stream attributes and Last-Event-ID (Go)',
    kind: 'go-choice',
    matches: /^GET \/events( resumed)? · (stream|span events):/,
    why:
      'the Go examples add the sse.message events by hand and resend every message whatever ' +
      'Last-Event-ID says; ours come from eventStream(), which also records sse.messages, ' +
      'sse.last_event_id, the time to the first message and the duration, and the shop resumes ' +
      'after the id the client sends',
  },
  {
    id: 'no http.server.active_requests',
    kind: 'go-choice',
    matches: /^metric http_server_active_requests:/,
    why:
      'otelgin and otelhttp do not record http.server.active_requests (Development status in the ' +
      'conventions): a panel on it shows the Node services only',
  },
  {
    id: 'body size histograms by default',
    kind: 'go-choice',
    matches: /^metric http_server_(request|response)_body_size:/,
    why: 'Go records request and response body sizes by default; ours are opt-in',
  },
  {
    id: 'no # UNIT line',
    kind: 'go-choice',
    matches: /^metric http_server_request_duration:/,
    why:
      'the Go exporter is told to write the names without unit suffix (what ours writes, see ' +
      'examples/go/README.md "One dashboard"), and writes no # UNIT line then; the buckets are the same',
  },
];

/**
 * Compares the Node frameworks among themselves, as without Go, and explains every way the Go
 * columns differ from them.
 *
 * @param {readonly import('./traffic.js').ScriptedRequest[]} traffic
 * @param {Record<string, import('./comparison.js').FrameworkRun>} runs - Node and Go, by name.
 * @param {readonly string[]} goNames - Which of `runs` are Go.
 * @returns {{ all: ReturnType<typeof compareFrameworks>, node: ReturnType<typeof compareFrameworks>,
 *   explained: { text: string, explanation: Explanation }[], unexplained: string[] }}
 */
export function compareWithGo(traffic, runs, goNames) {
  const all = compareFrameworks(traffic, runs);
  const nodeRuns = Object.fromEntries(
    Object.entries(runs).filter(([name]) => !goNames.includes(name)),
  );
  const node = compareFrameworks(traffic, nodeRuns);
  const explained = [];
  const unexplained = [];
  const goProblems = all.problems.filter((problem) => !node.problems.includes(problem));
  for (const text of [...all.differences, ...goProblems]) {
    if (node.differences.includes(text)) continue;
    if (isNodeOnly(text, node)) continue;
    const explanation = GO_EXPLANATIONS.find((entry) => entry.matches.test(text));
    if (explanation) explained.push({ text, explanation });
    else unexplained.push(text);
  }
  return { all, node, explained, unexplained };
}

/** A difference among the Node frameworks, seen again with the Go columns added. */
function isNodeOnly(text, node) {
  const head = text.split(': ')[0];
  return node.differences.some((difference) => difference.split(': ')[0] === head);
}
