/**
 * Renders the figures of a stress run as RELIABILITY.md: one section per scenario, what was done,
 * a table per target, the verdict, and the command that reproduces it.
 */

const COMMAND = 'pnpm --filter @otel-http/reliability stress';
const only = (scenario) => `STRESS_ONLY=${scenario} ${COMMAND}`;
/** The stated bound of the long soak: heap after GC within this many MiB of the post-warm-up heap. */
export const SOAK_HEAP_BOUND_MB = 16;
/** Span names are a method and a route; each override is cut to 256 characters. */
const NAME_BOUND = 256 + 'OPTIONS '.length;

const mb = (value) => (typeof value === 'number' ? value.toFixed(1) : '–');
const n = (value) => (typeof value === 'number' ? value.toLocaleString('en-US') : '–');
const verdict = (ok) => (ok ? 'pass' : '**FAIL**');
const table = (head, rows) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
const failedRow = (run, width) => [
  run.target,
  `job failed: ${String(run.error).replace(/\|/g, '\\|').slice(0, 300)}`,
  ...Array(Math.max(0, width - 2)).fill(''),
];

function section(title, text, body, reproduce) {
  return `## ${title}\n\n${text}\n\n${body}\n\nReproduce: \`${reproduce}\`\n`;
}

const renderers = {
  corpus(runs) {
    const rows = runs.map((run) => {
      if (run.error) return failedRow(run, 6);
      const r = run.result;
      return [
        r.path,
        n(r.cases),
        n(r.refusedBeforeApp),
        n(r.failures.length),
        r.serverAlive ? 'yes' : 'no',
        verdict(r.failures.length === 0 && r.serverAlive),
      ];
    });
    const failures = runs.flatMap((run) => run.result?.failures ?? []).slice(0, 20);
    return section(
      'Hostile trace-context headers: the corpus',
      [
        'Every case of `src/corpus.ts` (`traceparent`, `tracestate`, `baggage`: valid forms, one-field near-misses,',
        'oversized and 64 KB values, non-ASCII bytes, duplicated header lines, invalid members, more than 32',
        '`tracestate` members, more than 180 baggage entries) sent as raw bytes over `node:net` to `GET /users/:id`',
        '(a second server with a 512 KiB head limit takes the 64 KB cases), and through the Fetch path',
        "(`requestInfoFromFetch` + `start`; Hono `app.request()`). Checked per case: the answer is 200 (or Node's own",
        "400/431 for what its parser refuses, with no telemetry), the handler's trace is the caller's exactly when",
        "the `traceparent` is valid, a new root otherwise, the span's parent, the kept `tracestate` (≤ 32 valid members,",
        'all sent by the caller) and the baggage (entry and size limits) against the expectation.',
      ].join('\n'),
      `${table(['path', 'cases', 'refused before the app', 'failed cases', 'server alive after', 'verdict'], rows)}${
        failures.length ? `\n\nFailed cases:\n\n${failures.map((f) => `- ${f}`).join('\n')}` : ''
      }\n\n${ENFORCEMENT}`,
      only('corpus'),
    );
  },

  fuzz(runs) {
    const rows = runs.map((run) => {
      if (run.error) return failedRow(run, 7);
      const r = run.result;
      const ok = r.failure === undefined && r.diagnostics.length === 0 && r.activeRequests === 0;
      return [
        r.path,
        n(r.runs),
        String(r.seed),
        n(r.refusedByFramework),
        n(r.durationSeries),
        r.failure ? r.failure.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 200) : 'none',
        verdict(ok),
      ];
    });
    return section(
      'Hostile requests: seeded property-based fuzzing',
      [
        'fast-check generates whole requests (`traceparent`, `tracestate`, `baggage`, `Host`, `Forwarded`,',
        '`X-Forwarded-For/Host/Proto`, `User-Agent`, query; each header repeated 1–3 times; values up to 12 KB of',
        'Latin-1 bytes) and sends each as raw bytes to the instrumented app and to the same app without',
        "telemetry. Properties: the same status with and without telemetry; a 200 carries the handler's JSON; a",
        'valid `traceparent` is continued and an invalid one never is; `tracestate` and baggage keep their limits;',
        'one span with the route, a bounded user agent, plausible `server.address`/`server.port`/`client.address`;',
        'nothing reported to the diagnostic logger; `active_requests` back to 0. `trustProxy` is on so that the',
        'forwarded headers are parsed. The pure parsers (`parseHost`, `parseForwarded`, `splitTarget`,',
        '`redactQuery`, `errorType`, `normalizeMethod`) are fuzzed in the test suite (2,000 runs each).',
        '"Refused by the framework" counts requests answered with something else than 200 identically with and',
        'without telemetry: `@hono/node-server` answers 400 when the `Host` header does not form a URL.',
      ].join('\n'),
      table(
        [
          'path',
          'runs',
          'seed',
          'refused by the framework (same without telemetry)',
          'duration series',
          'counterexample',
          'verdict',
        ],
        rows,
      ),
      only('fuzz'),
    );
  },

  cardinality(runs) {
    const rows = runs.map((run) => {
      if (run.error) return failedRow(run, 11);
      const r = run.result;
      const ok =
        r.networkErrors === 0 &&
        r.unexpectedSeries.length === 0 &&
        r.missingSeries.length === 0 &&
        r.forbiddenAttributes.length === 0 &&
        r.seriesAtEnd === r.seriesAtCheckpoint &&
        r.activeRequestsAtEnd === 0 &&
        r.spanProblems.length === 0 &&
        r.spansEnded === r.requests - r.refusedByNode;
      return [
        r.target,
        n(r.requests),
        n(r.distinctPaths),
        n(r.distinctMethods),
        n(r.refusedByNode),
        n(r.seriesAtCheckpoint),
        n(r.seriesAtEnd),
        `${n(r.unexpectedSeries.length)} / ${n(r.missingSeries.length)}`,
        n(r.activeRequestSeries),
        n(r.distinctSpanNames),
        verdict(ok),
      ];
    });
    return section(
      'Cardinality attack',
      [
        'Seeded requests over a keep-alive agent (32 in flight): distinct unmatched paths under several prefixes,',
        '26 methods Node accepts but the semantic conventions do not know (`PROPFIND`, `M-SEARCH`, `QUERY`, …),',
        "the known methods on unmatched paths, random methods Node's parser refuses (never reaching the app),",
        'and random ids and queries on `/users/:id`. The duration series expected are derived from what the client',
        'saw — (method or `_OTHER`) × status × (route or none) — and compared with the recorded ones, after the first',
        '1,000 requests and at the end.',
      ].join('\n'),
      table(
        [
          'target',
          'requests',
          'distinct paths',
          'distinct methods',
          'refused by Node',
          'series after 1,000',
          'series at end',
          'unexpected / missing series',
          'active_requests series',
          'distinct span names',
          'verdict',
        ],
        rows,
      ),
      only('cardinality'),
    );
  },

  aborts(runs) {
    const rows = runs.map((run) => {
      if (run.error) return failedRow(run, 9);
      const r = run.result;
      const ok =
        r.spansEnded === r.requests &&
        r.notAborted.length === 0 &&
        r.wrongRoute.length === 0 &&
        r.wrongStatus.length === 0 &&
        r.durationCount === r.requests &&
        r.durationNotAborted === 0 &&
        r.activeRequestsAtEnd === 0 &&
        r.serverAlive;
      const points = r.byPoint;
      return [
        r.target,
        n(r.requests),
        `${points['before-headers']} / ${points['mid-body']} / ${points['mid-stream']}`,
        n(r.spansEnded),
        n(r.notAborted.length),
        n(r.wrongRoute.length),
        n(r.wrongStatus.length),
        n(r.activeRequestsAtEnd),
        verdict(ok),
      ];
    });
    return section(
      'Client aborts',
      [
        'Each request is abandoned at a seeded random point: before the response head (`GET /slow?ms=1000`, after',
        '0–125 ms), in the middle of a 64 KiB request body (`POST /upload`), or after 1–3 chunks of a 60-chunk streamed',
        'response (`GET /stream?chunks=60`); half by closing the connection (FIN), half by resetting it (RST). Checked: exactly one',
        'span per request, every one ERROR with `error.type` = `aborted` and its route, a status code only when the',
        'head was sent, every duration measurement marked `aborted`, `active_requests` back to 0, the server still',
        'answering.',
      ].join('\n'),
      table(
        [
          'target',
          'requests',
          'before head / mid-body / mid-stream',
          'spans ended',
          'not failed as aborted',
          'wrong route',
          'wrong status',
          'active at end',
          'verdict',
        ],
        rows,
      ),
      only('aborts'),
    );
  },

  'collector-down'(runs) {
    const rows = runs.map((run) => {
      if (run.error) return failedRow(run, 13);
      const r = run.result;
      const ok =
        r.failedRequests === 0 &&
        r.unaccounted === 0 &&
        r.spansEnded === r.requests &&
        r.activeRequestsAtEnd === 0;
      const m = r.memory;
      const last = m.samples.at(-1)?.[0] ?? 0;
      const rssAt = (share) => {
        const sample = m.samples.find(([t]) => t >= last * share) ?? m.samples.at(-1);
        return mb(sample?.[1]);
      };
      return [
        r.target,
        n(r.requests),
        n(r.failedRequests),
        n(Math.round(r.requests / (r.durationMs / 1000))),
        n(r.dropped),
        `${n(r.handedToExporter)} (${n(r.exportFailed)} failed, ${n(r.exportSucceeded)} ok)`,
        n(r.queued),
        n(r.unaccounted),
        `${mb(m.rssBefore)} / ${mb(m.rssPeak)} / ${mb(m.rssAfter)}`,
        [0.25, 0.5, 0.75, 1].map(rssAt).join(' / '),
        `${mb(m.heapBefore)} / ${mb(m.heapPeak)} / ${mb(m.heapAfter)}`,
        n(r.diagnosticWarnings),
        verdict(ok),
      ];
    });
    return section(
      'Collector down',
      [
        'The OTLP/HTTP protobuf exporter (`@opentelemetry/exporter-trace-otlp-proto`, default 10 s timeout and',
        'retries) behind a `BatchSpanProcessor` with the SDK defaults (queue 2,048, batches of 512, 5 s delay), pointed',
        'at a loopback port where nothing listens; `GET /users/:id` over a keep-alive agent, 32 in flight. Dropped spans',
        "are the SDK's own count (`otel.sdk.processor.span.processed{error.type=queue_full}`); every span ended must be",
        'handed to the exporter, still queued, or dropped. RSS and heap in MiB: before (after GC) / peak during the',
        'load / after (heap after GC). The peaks include garbage not yet collected; the heap after GC is what the',
        'process keeps, and the RSS through the run shows whether it levels off.',
      ].join('\n'),
      table(
        [
          'target',
          'requests',
          'failed requests',
          'req/s',
          'spans dropped',
          'spans handed to the exporter',
          'still queued',
          'unaccounted',
          'RSS MiB before / peak / after',
          'RSS MiB at 25 / 50 / 75 / 100 % of the load',
          'heap MiB before / peak / after',
          'diagnostic messages',
          'verdict',
        ],
        rows,
      ),
      only('collector-down'),
    );
  },

  soak(runs) {
    const run = runs[0];
    if (!run || run.error)
      return section(
        'Soak',
        'The soak job failed.',
        `\`${run?.error ?? 'not run'}\``,
        only('soak'),
      );
    const r = run.result;
    const handles = (counts) =>
      Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none';
    const total = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
    const ok =
      Math.abs(r.heapGrowth) < SOAK_HEAP_BOUND_MB &&
      total(r.handlesAfter) <= total(r.handlesBefore) &&
      r.targets.every(
        (t) => t.failed === 0 && t.activeRequestsAtEnd === 0 && t.spansExported === t.requests,
      );
    const perTarget = table(
      ['target', 'requests', 'of which aborted', 'failed', 'spans exported', 'active at end'],
      r.targets.map((t) => [
        t.target,
        n(t.requests),
        n(t.aborted),
        n(t.failed),
        n(t.spansExported),
        n(t.activeRequestsAtEnd),
      ]),
    );
    const memory = table(
      ['figure', 'value'],
      [
        ['duration', `${(r.durationMs / 1000).toFixed(0)} s (first 20 % warm-up)`],
        ['heap after GC, end of warm-up', `${mb(r.heapAfterWarmup)} MiB`],
        [
          'heap after GC, samples during the load',
          r.heapSamples.map(([t, h]) => `${(t / 1000).toFixed(0)} s: ${mb(h)}`).join(' · '),
        ],
        ['heap after GC, load stopped', `${mb(r.heapAtEnd)} MiB`],
        ['growth (stated bound ±16 MiB)', `${r.heapGrowth >= 0 ? '+' : ''}${mb(r.heapGrowth)} MiB`],
        [
          'slope of the samples',
          `${r.heapSlopePerMinute >= 0 ? '+' : ''}${mb(r.heapSlopePerMinute)} MiB/min`,
        ],
        ['RSS at the end', `${mb(r.rssAtEnd)} MiB`],
        ['active handles before the load', handles(r.handlesBefore)],
        ['active handles during the load', handles(r.handlesDuring)],
        ['active handles after the load', handles(r.handlesAfter)],
        ['verdict', verdict(ok)],
      ],
    );
    return section(
      'Soak',
      [
        'Core alone and the four adapters at once in one process (`node --expose-gc`), 8 requests in flight each: 70 %',
        '`GET /users/:id`, 6 % streams, 3 % slow requests, 8 % 2 KiB uploads, 11 % 404s, 2 % client aborts. Spans go',
        'through a `BatchSpanProcessor` to an exporter that keeps nothing; metrics are collected every second. The heap',
        'is measured after a full GC. Pass: heap growth within the stated bound, no more active handles after the load',
        'than before it, no failed request, one exported span per request.',
      ].join('\n'),
      `${perTarget}\n\n${memory}`,
      only('soak'),
    );
  },

  secrets(runs) {
    const rows = runs.flatMap((run) => {
      if (run.error) return [failedRow(run, 8)];
      return run.result.map((r) => [
        r.target,
        r.configuration,
        n(r.requests),
        n(r.secrets),
        n(r.serializedBytes),
        r.leaks.length ? r.leaks.join(', ') : 'none',
        r.redactedQuery && r.redactedHeaders ? 'yes' : 'no',
        verdict(
          r.leaks.length === 0 && r.redactedQuery && r.redactedHeaders && r.spans === r.requests,
        ),
      ]);
    });
    return section(
      'Secrets',
      [
        'Requests carrying fresh random tokens in `Authorization` (Bearer and Basic), `Proxy-Authorization`, `Cookie`,',
        '`X-Api-Key`, the seven signed-URL query parameters of the semantic conventions, a percent-encoded `%73ig`,',
        'and userinfo in an absolute-form request target. The spans and the metrics are serialized exactly as the OTLP',
        'exporters do (protobuf and JSON, `@opentelemetry/otlp-transformer`), and together with everything told to the',
        'diagnostic logger searched for every token (and the Base64 forms). Second configuration: every credential',
        "header listed in `captureRequestHeaders`, old attribute names emitted too (`semconvStability: 'dup'`).",
      ].join('\n'),
      table(
        [
          'target',
          'configuration',
          'requests',
          'secrets',
          'bytes searched',
          'leaks',
          'recorded redacted',
          'verdict',
        ],
        rows,
      ),
      only('secrets'),
    );
  },

  edge(runs) {
    const rows = runs.map((run) => {
      if (run.error) return failedRow(run, 8);
      const r = run.result;
      const ok =
        r.sampledInHandler === 0 &&
        r.exported === 0 &&
        r.continuedCallerTrace === 0 &&
        r.sawCallerBaggage === 0 &&
        r.sampledResponseHeaders === 0 &&
        r.measured === r.requests;
      return [
        r.target,
        n(r.requests),
        n(r.sampledInHandler),
        n(r.exported),
        n(r.continuedCallerTrace),
        n(r.sawCallerBaggage),
        n(r.measured),
        verdict(ok),
      ];
    });
    return section(
      'Untrusted edge',
      [
        '`trustRemoteContext: false`, a `ParentBased(root: TraceIdRatio(0))` sampler, and every request claiming a',
        'random sampled caller (`traceparent … -01`, `tracestate`, `baggage: tenant=evil,role=admin`). Nothing may be',
        'sampled, exported or continued, no baggage may reach the handler, every request is still measured. The test',
        'suite also runs the trusting control (where the same requests are sampled) and the always-on variant (a new',
        'root linked to the caller).',
      ].join('\n'),
      table(
        [
          'target',
          'requests',
          'sampled in the handler',
          'spans exported',
          'caller trace continued',
          'caller baggage seen',
          'measured',
          'verdict',
        ],
        rows,
      ),
      only('edge'),
    );
  },

  'http2-cancels'(runs) {
    const rows = runs.map((run) => {
      if (run.error) return failedRow(run, 9);
      const r = run.result;
      const wrong = r.wrongOutcome.length + r.wrongStatus.length + r.wrongRoute.length;
      return [
        r.target,
        n(r.requests),
        n(r.byPoint['before-headers']),
        n(r.byPoint['mid-body']),
        n(r.byPoint['mid-stream']),
        n(r.byPoint.completed),
        n(r.spansEnded),
        n(wrong),
        verdict(
          wrong === 0 &&
            r.spansEnded === r.requests &&
            r.durationCount === r.requests &&
            r.activeRequestsAtEnd === 0,
        ),
      ];
    });
    return section(
      'HTTP/2 cancellations',
      [
        'Streams over a few h2c sessions, each cancelled by the client with `RST_STREAM` (CANCEL) at a random point:',
        'before the response head, after part of a body, in the middle of a stream, or not at all. Checked per stream:',
        'exactly one span and one duration; a cancelled stream is `error.type=aborted` with the status only if a',
        'head was sent; a completed one is not a failure; the route is kept. Before the fix, a stream cancelled while',
        'the handler hung was `error.type=_OTHER` and one cancelled part way through a 200 was a success: Node',
        'reports `writableFinished` on a cancelled HTTP/2 stream, and the end path trusted it. Now a response is',
        'finished when it was both ended and flushed, on HTTP/1.1 and HTTP/2 alike.',
      ].join('\n'),
      table(
        [
          'target',
          'streams',
          'cancelled before the head',
          'mid-body',
          'mid-stream',
          'completed',
          'spans ended',
          'wrong outcome, status or route',
          'verdict',
        ],
        rows,
      ),
      only('http2-cancels'),
    );
  },
  misbehaving(runs) {
    const results = runs.flatMap((run) => (run.error ? [] : run.result));
    const names = [...new Set(results.map((r) => r.misbehaviour))];
    const targets = runs.map((run) => run.target);
    const ok = (r) =>
      r.brokenResponses.length === 0 &&
      r.spans === 3 &&
      r.longestSpanName <= NAME_BOUND &&
      r.longestMetricRoute <= 256 &&
      r.reported;
    const MISBEHAVIOURS_WITH_DEFECTS = new Set(
      results.filter((r) => r.knownDefect).map((r) => r.misbehaviour),
    );
    const defects = [
      ...new Map(
        results.filter((r) => r.knownDefect).map((r) => [r.misbehaviour, r.knownDefect]),
      ).entries(),
    ];
    const rows = names.map((name) => [
      name,
      ...targets.map((target) => {
        const r = results.find((x) => x.misbehaviour === name && x.target === target);
        if (!r) return '–';
        const defect = MISBEHAVIOURS_WITH_DEFECTS.has(name) && !ok(r) ? ', known defect' : '';
        return `${verdict(ok(r))} (${r.spans} spans, longest name ${r.longestSpanName}${defect})`;
      }),
    ]);
    return section(
      'Misbehaving user code',
      [
        'Hooks that throw (errors, strings, objects whose `toString` throws), a hook that ends the span itself,',
        '`spanName` / `route` overrides that throw or return numbers, objects, `null`, promises, empty or 1 MiB strings,',
        'an `ignore` predicate and a propagator that throw. Three requests each (JSON, stream, 404). Pass: the responses',
        'are those of the app, three spans, names within 256 characters plus the method, metric routes within 256, and',
        'the diagnostic logger told about each throw.',
      ].join('\n'),
      `${table(['misbehaviour', ...targets], rows)}${
        defects.length
          ? `\n\nKnown defects (pinned by \`it.fails\` tests):\n\n${defects.map(([name, what]) => `- **${name}**: ${what}.`).join('\n')}`
          : ''
      }`,
      only('misbehaving'),
    );
  },
};

const FINDINGS = ['finding-malformed-path', 'finding-async-hooks', 'finding-second-pass'];

function renderFindings(runs) {
  const rows = FINDINGS.flatMap((scenario) =>
    (runs[scenario] ?? []).flatMap((run) => {
      if (run.error) return [failedRow(run, 6)];
      return (Array.isArray(run.result) ? run.result : [run.result]).map((r) => [
        r.finding,
        r.target,
        n(r.requests),
        `${n(r.observed)} ${r.unit}`,
        `${n(r.expected)}`,
        r.observed === r.expected &&
        (r.controlAnswered === undefined || r.controlAnswered === r.answered)
          ? 'fixed'
          : '**present**',
      ]);
    }),
  );
  if (rows.length === 0) return '';
  return section(
    'Defects this suite found, re-measured',
    [
      'These were found by the tests of `packages/reliability` and fixed in their areas since; the tests that found',
      'them now guard against their return, and the first two are re-measured here at volume.',
      '',
      '- **Malformed percent-encoding in the path** (`GET /files/%zz…`): Fastify answers 400 (`FST_ERR_BAD_URL`)',
      '  before any hook runs, so `@otel-http/fastify` used to record neither span nor measurement for such',
      '  requests — traffic an attacker could keep out of the metrics. Expected: every request measured.',
      '- **Async hooks that reject**: `requestHook`/`responseHook` ran through a helper that caught a synchronous',
      '  throw only; the promise an `async` hook returns was dropped, leaving one unhandled rejection per call (by',
      '  default Node ends the process on those) and nothing for the diagnostic logger. Expected: none; the job',
      '  process counts them with a listener of its own.',
      '- **An async `ignore` predicate** (JavaScript callers are not type-checked): its promise was tested for',
      '  truthiness, so every request was ignored — no span, no metric, no diagnostic. Re-checked in the',
      '  "Misbehaving user code" table (`ignore predicate is async`).',
      '',
      'A second hostile pass found these; each row of `finding-second-pass` below re-measures one of them',
      '(before the fix, as filed: the first on Express and Koa, the others on every target).',
      '',
      '- **`hostile-throw`**: a handler throws a `Proxy` whose traps all throw. The error-to-exception step ran',
      '  `instanceof` and property reads unguarded before `span.end()`: `active_requests` went back to 0 and a',
      '  duration was recorded, but the span was never ended or exported. Now every step that touches a user value',
      '  is contained and the span is ended in a `finally`. Not run on Koa: Koa itself never answers such a',
      '  value (its error handler reads `Symbol.toStringTag` and throws, an unhandled rejection), with or',
      '  without telemetry.',
      '- **`huge-exception`**: an error with a 10 MB message produced a ~20 MB `exception` event. Now',
      '  `exception.message` and `exception.stacktrace` are cut at 4,096 and 16,384 characters (`exceptionLimits`).',
      '- **`startup-span`**: a server started inside a span (a traced startup) made every request without a',
      '  `traceparent` a child of that span, in one trace, with its sampling decision. Now the parent comes from',
      "  the request's headers only.",
      '- **`metrics-only-startup-span`**: with `tracing: false`, the same setup renamed the startup span after the',
      '  route, added the status code and ended it at the first request. Now metrics-only mode touches no span.',
      '- **`host-two-ports`**: `Host: host.example:80:81` was recorded as `server.address=host.example:80:81`,',
      '  and port 0 was accepted. Now neither is recorded.',
      '',
      'Parsing costs that grew with hostile input are measured by the core micro-benchmark',
      '(`pnpm --filter @otel-http/core build && pnpm --filter @otel-http/core bench`, "hostile inputs"): ~16 KB of',
      'baggage members with broken percent-encoding cost 13.8 ms per request before (every member was tried',
      'with a throwing `decodeURIComponent`) and now cost about as much as 20 valid members; a query of 64 KiB of',
      'pairs without values cost 11.9 ms and one of 1 MiB 7.7 s (redaction searched to the end of the query for',
      'each pair) and now cost tens of microseconds (linear redaction, `url.query` cut at 8,192 characters).',
    ].join('\n'),
    table(['defect', 'target', 'requests', 'observed', 'expected', 'status'], rows),
    'STRESS_ONLY=finding-malformed-path,finding-async-hooks,finding-second-pass pnpm --filter @otel-http/reliability stress',
  );
}

const ENFORCEMENT = `Where each rule is enforced:

${table(
  ['rule', 'enforced by'],
  [
    [
      '`traceparent` format: 2+32+16+2 lower-case hex, version `ff` invalid, all-zero ids invalid, version `00` with more fields invalid, higher versions parsed by their first four fields',
      '`W3CTraceContextPropagator` (`parseTraceParent`) in `@opentelemetry/core`',
    ],
    [
      'an invalid `traceparent` starts a new trace and drops `tracestate`',
      '`W3CTraceContextPropagator.extract` returns the context unchanged; otel-http core then starts a root span',
    ],
    [
      'repeated `traceparent` lines are invalid',
      'Node (and Fetch `Headers`) join repeated header lines with `, `, which no `traceparent` matches',
    ],
    [
      '`tracestate`: at most 32 members, at most 512 characters, invalid members dropped, a bad `tracestate` never invalidates `traceparent`',
      '`TraceState` in `@opentelemetry/core` (parsed lazily)',
    ],
    [
      'baggage: at most 180 entries, 4,096 characters per entry, 8,192 in all; broken percent-encoding dropped',
      '`W3CBaggagePropagator` / `parseBaggageHeaderString` in `@opentelemetry/core`',
    ],
    [
      'request head over 16 KiB → 431; control bytes, bare CR, bad header names → 400',
      "Node's HTTP parser (llhttp), before any instrumentation",
    ],
    [
      "a throwing propagator is contained; the caller's context and baggage are dropped for untrusted callers",
      'otel-http core, `lifecycle.ts` (`parentOf`, `callSafely`)',
    ],
    [
      '`Host` / `Forwarded` / `X-Forwarded-*` parsing, query redaction, method normalisation, `error.type`',
      'otel-http core (`http.ts`, `redact.ts`, `request-attributes.ts`, `errors.ts`)',
    ],
  ],
)}

Known deviations of the propagators from the W3C texts (recorded in the corpus as such, not failures):
\`traceparent\` with one whitespace character other than space/tab at either end (NBSP \`0xA0\`) is accepted;
baggage keys are not checked to be tokens (\`key with space=1\` is kept); raw non-ASCII baggage values are kept
as Latin-1 text instead of being rejected.`;

/** The whole document. */
export function renderReport(runs, environment, scenarios) {
  const sections = Object.keys(renderers)
    .filter((name) => runs[name])
    .map((name) => renderers[name](runs[name], scenarios[name]));
  const jobs = Object.values(runs).flat();
  return `# Reliability of otel-http under hostile input, faults and load

Generated by \`${COMMAND}\`${environment.quick ? ' (**--quick: reduced sizes**)' : ''}; do not edit by hand. The same
scenarios run with smaller, bounded sizes as the \`reliability\` test project
(\`pnpm vitest run --project reliability\`). Every target is a real server on 127.0.0.1: \`node\` is core alone on
\`node:http\` (\`startNodeRequest\`), the others are the Express, Fastify, Hono (\`@hono/node-server\`) and Koa adapters,
each serving the same four routes (\`GET /users/:id\`, \`GET /stream\`, \`GET /slow\`, \`POST /upload\`). Each job ran in
a process of its own, one after the other.

| environment | |
|---|---|
| Node | ${environment.node} |
| OS | ${environment.os} |
| CPUs | ${environment.cpus} |
| memory | ${environment.memory} |
| started | ${environment.startedAt} |
| duration | ${environment.minutes} min, ${jobs.length} jobs, ${jobs.filter((j) => j.error).length} failed to run |

${sections.join('\n')}
${renderFindings(runs)}`;
}
