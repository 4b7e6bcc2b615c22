// How the compare command judges what it collected: a difference between frameworks, or a request
// whose telemetry is not what the script expects, is flagged (and makes the command fail).
import { describe, expect, it } from 'vitest';
import { compareFrameworks, seriesLabel } from '../src/comparison.js';
import { parsePrometheusText } from '../src/prometheus-text.js';
import { renderHtml } from '../src/render-html.js';
import { renderText } from '../src/render-text.js';
import { buildTraceTree, formatTraceTree } from '../src/trace-tree.js';

const SCRIPT = [
  { label: 'GET /error', method: 'GET', path: '/error', status: 500, route: '/error' },
  {
    label: 'GET /health',
    method: 'GET',
    path: '/health',
    status: 200,
    route: '/health',
    ignored: true,
  },
];

let nextId = 1;
const id = (length: number) => (nextId++).toString(16).padStart(length, '0');

function span(fields: Record<string, unknown>) {
  return {
    spanId: id(16),
    parentSpanId: '',
    kind: 'SERVER',
    startTimeUnixNano: BigInt(nextId) * 1_000_000n,
    endTimeUnixNano: BigInt(nextId) * 1_000_000n + 5_000_000n,
    attributes: {},
    events: [],
    status: { code: 'UNSET', message: '' },
    scope: { name: '@otel-http/core', version: '0' },
    resource: {},
    ...fields,
  };
}

/** What a framework that behaves correctly records for the script, with `errorType` on /error. */
function run(errorType: string) {
  const sent = [
    { traceId: id(32), parentSpanId: id(16), status: 500 },
    { traceId: id(32), parentSpanId: id(16), status: 200 },
  ];
  const spans = [
    span({
      traceId: sent[0].traceId,
      parentSpanId: sent[0].parentSpanId,
      name: 'GET /error',
      attributes: {
        'http.route': '/error',
        'http.response.status_code': 500,
        'error.type': errorType,
      },
      status: { code: 'ERROR', message: '' },
    }),
  ];
  const metrics = parsePrometheusText(
    [
      '# TYPE http_server_request_duration histogram',
      `http_server_request_duration_count{http_request_method="GET",http_response_status_code="500",http_route="/error",error_type="${errorType}"} 1`,
    ].join('\n'),
  );
  return { sent, spans, logs: [{ trace_id: sent[0].traceId, msg: 'request failed' }], metrics };
}

describe('compareFrameworks', () => {
  it('finds no difference and no problem when every framework records the same', () => {
    const result = compareFrameworks(SCRIPT, { a: run('BoomError'), b: run('BoomError') });
    expect(result.differences).toEqual([]);
    expect(result.problems).toEqual([]);
    const row = result.requests[0].fields.find((field) => field.name === 'error.type');
    expect(row).toEqual({
      name: 'error.type',
      values: { a: 'BoomError', b: 'BoomError' },
      differs: false,
    });
  });

  it('flags a field whose value differs, in the row, the series and the list of differences', () => {
    const result = compareFrameworks(SCRIPT, { a: run('BoomError'), b: run('500') });
    expect(result.requests[0].fields.find((f) => f.name === 'error.type')).toMatchObject({
      differs: true,
      values: { a: 'BoomError', b: '500' },
    });
    expect(result.differences).toContain('GET /error · error.type: a=BoomError · b=500');
    expect(result.differences.some((d) => d.startsWith('series {error_type=500'))).toBe(true);
    expect(renderText(result, { lines: [], problems: [] })).toContain('≠ error.type');
    expect(
      renderHtml(result, { lines: [], problems: [] }, { generatedAt: 'now', services: [] }),
    ).toContain('<tr class="differs"><td>error.type</td>');
  });

  it('flags what the script does not expect, even when all frameworks agree on it', () => {
    const broken = () => {
      const result = run('BoomError');
      // A span for the ignored health check, and a wrong status code seen by the client.
      result.spans.push(
        span({
          traceId: result.sent[1].traceId,
          parentSpanId: result.sent[1].parentSpanId,
          name: 'GET /health',
        }),
      );
      result.sent[0].status = 502;
      return result;
    };
    const result = compareFrameworks(SCRIPT, { a: broken(), b: broken() });
    expect(result.differences).toEqual([]);
    expect(result.problems).toEqual([
      'a: GET /error: answered 502, the script expects 500',
      'a: GET /error: is counted in no http.server.request.duration series',
      'b: GET /error: answered 502, the script expects 500',
      'b: GET /error: is counted in no http.server.request.duration series',
      'a: GET /health: is ignored by telemetry, yet has a SERVER span',
      'b: GET /health: is ignored by telemetry, yet has a SERVER span',
    ]);
  });
});

describe('renderHtml', () => {
  const families = (koa: string) => ({
    frameworks: ['a', 'koa'],
    requests: [],
    series: [],
    differences: [],
    problems: [],
    families: [
      {
        name: 'http_server_request_duration',
        values: { a: 'histogram s le=0.005,0.01,+Inf', koa },
        differs: koa !== 'histogram s le=0.005,0.01,+Inf',
      },
    ],
  });
  const render = (comparison: ReturnType<typeof families>) =>
    renderHtml(comparison, { lines: [], problems: [] }, { generatedAt: 'now', services: [] });

  it('writes a metric family the frameworks agree on once, breakable after each comma', () => {
    const page = render(families('histogram s le=0.005,0.01,+Inf'));
    expect(page).toContain(
      '<td colspan="2">histogram s le=0.005,<wbr>0.01,<wbr>+Inf <small>(all 2)</small></td>',
    );
  });

  it('writes each value of a family the frameworks disagree on, flagged', () => {
    const page = render(families('histogram s le=1,+Inf'));
    expect(page).toContain(
      '<tr class="differs"><td class="name">http_server_request_duration</td>',
    );
    expect(page).toContain('<td>histogram s le=1,<wbr>+Inf</td>');
  });
});

describe('seriesLabel', () => {
  it("says the count is the series', shared with the other requests counted in it", () => {
    const labels = { http_response_status_code: '400', http_route: '/orders' };
    expect(seriesLabel({ labels, value: 2 }, ['POST /orders malformed'])).toBe(
      '400 /orders, count 2 (this and POST /orders malformed)',
    );
    expect(seriesLabel({ labels: { http_response_status_code: '404' }, value: 1 })).toBe(
      '404 (no route), count 1',
    );
  });

  it('finds the requests of the script that share a series', () => {
    const script = [
      { label: 'invalid', method: 'POST', path: '/o', status: 400, route: '/o' },
      { label: 'malformed', method: 'POST', path: '/o', status: 400, route: '/o' },
      { label: 'created', method: 'POST', path: '/o', status: 201, route: '/o' },
    ];
    const series = (status: string, value: number) =>
      `http_server_request_duration_count{http_request_method="POST",http_response_status_code="${status}",http_route="/o"} ${value}`;
    const metrics = parsePrometheusText(
      ['# TYPE http_server_request_duration histogram', series('400', 2), series('201', 1)].join(
        '\n',
      ),
    );
    const sent = script.map(() => ({ status: 0, traceId: id(32), parentSpanId: id(16) }));
    sent[0].status = 400;
    sent[1].status = 400;
    sent[2].status = 201;
    const result = compareFrameworks(script, { a: { sent, spans: [], logs: [], metrics } });
    const cells = result.requests.map(
      (request) => request.fields.find((field) => field.name === 'metric series')?.values.a,
    );
    expect(cells).toEqual([
      '400 /o, count 2 (this and malformed)',
      '400 /o, count 2 (this and invalid)',
      '201 /o, count 1',
    ]);
  });
});

describe('buildTraceTree', () => {
  const traceId = id(32);
  const caller = id(16);
  const gateway = span({
    traceId,
    parentSpanId: caller,
    name: 'GET /api',
    resource: { 'service.name': 'gateway' },
  });
  const call = span({
    traceId,
    parentSpanId: gateway.spanId,
    name: 'GET',
    kind: 'CLIENT',
    attributes: { 'http.request.method': 'GET', 'url.full': 'http://127.0.0.1:1/orders/2' },
    resource: { 'service.name': 'gateway' },
  });
  const orders = span({
    traceId,
    parentSpanId: call.spanId,
    name: 'GET /orders/:id',
    resource: { 'service.name': 'orders' },
  });

  it('builds one tree from the spans of every service and prints it', () => {
    const { roots, problems } = buildTraceTree([orders, call, gateway], {
      parentSpanId: caller,
      services: ['gateway', 'orders'],
    });
    expect(problems).toEqual([]);
    const lines = formatTraceTree(roots, { gateway: 'hono', orders: 'express' });
    expect(lines).toEqual([
      'GET /api  SERVER  gateway (hono)  5.0 ms',
      '└─ GET  CLIENT  gateway (hono)  → /orders/2  5.0 ms',
      '   └─ GET /orders/:id  SERVER  orders (express)  5.0 ms',
    ]);
  });

  it('reports a broken chain: a call nobody answered, a missing service, a detached span', () => {
    const { problems } = buildTraceTree(
      [call, gateway, span({ traceId, parentSpanId: id(16), name: 'lost' })],
      {
        parentSpanId: caller,
        services: ['gateway', 'orders'],
      },
    );
    expect(problems).toEqual([
      '2 roots: some spans have a parent that never arrived',
      'no SERVER span from orders',
      "gateway's call GET http://127.0.0.1:1/orders/2 has no SERVER child",
    ]);
  });
});
