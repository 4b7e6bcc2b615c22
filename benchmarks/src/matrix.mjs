// The benchmark matrix: which frameworks, which telemetry modes, and in which order each round
// measures them.

/** The frameworks measured, each on plain Node `http` (Hono through `@hono/node-server`). */
export const FRAMEWORKS = /** @type {const} */ (['express', 'fastify', 'hono', 'koa']);

/**
 * The Go reference rows (`examples/go/cmd/bench`): the same route on Gin and Echo, measured in the
 * same rounds by the same load generator, so that what telemetry costs a Go service stands beside
 * what it costs ours. Only ratios within a framework mean anything: a Go server and a Node server
 * are not compared with each other.
 */
export const GO_FRAMEWORKS = /** @type {const} */ (['gin', 'echo']);

/** @typedef {typeof FRAMEWORKS[number] | typeof GO_FRAMEWORKS[number]} Framework */

/**
 * The telemetry modes, from none to the instrumentation a user would pick instead of otel-http.
 * `bare` comes first: every other mode is compared with it, within the same round.
 */
export const MODES = /** @type {const} */ ([
  'bare',
  'metrics',
  'otel-http',
  'otel-http-10%',
  'official',
  'official-metrics',
  'floor',
]);

/**
 * The modes of the Go rows. `bare` is the same as for Node; the others are the Go instrumentation a
 * user picks today (otelgin on Gin; otelhttp around Echo plus a middleware that reports the matched
 * route), with the SDK set up as the Node servers set it up.
 */
export const GO_MODES = /** @type {const} */ ([
  'bare',
  'instrumented-metrics',
  'instrumented',
  'instrumented-10%',
]);

/** @typedef {typeof MODES[number] | typeof GO_MODES[number]} Mode */

/**
 * Whether a framework is one of the Go reference rows.
 *
 * @param {string} framework
 */
export const isGo = (framework) => GO_FRAMEWORKS.some((f) => f === framework);

/**
 * @typedef {object} ModeTraits
 * @property {string} description What the server does in this mode, for the reports.
 * @property {number} sampleRatio Share of requests whose SERVER span is sampled and exported.
 * @property {boolean} metrics Whether the request duration histogram is recorded.
 */

/** @type {Record<Mode, ModeTraits>} */
export const MODE_TRAITS = {
  bare: { description: 'no telemetry', sampleRatio: 0, metrics: false },
  metrics: {
    description: 'otel-http with tracing off (RED metrics only)',
    sampleRatio: 0,
    metrics: true,
  },
  'otel-http': {
    description: 'otel-http, 100 % sampled, BatchSpanProcessor, RED metrics',
    sampleRatio: 1,
    metrics: true,
  },
  'otel-http-10%': {
    description: 'otel-http, 10 % sampled (parent-based ratio sampler), RED metrics',
    sampleRatio: 0.1,
    metrics: true,
  },
  official: {
    description: 'the OpenTelemetry instrumentation a user would pick instead, same SDK setup',
    sampleRatio: 1,
    metrics: true,
  },
  'official-metrics': {
    description:
      'the official instrumentation with tracing off, so only its metrics are recorded (a no-op tracer provider; @hono/otel with disableTracing)',
    sampleRatio: 0,
    metrics: true,
  },
  floor: {
    description: 'hand-written minimum: one startSpan/end and one histogram.record per request',
    sampleRatio: 1,
    metrics: true,
  },
  'instrumented-metrics': {
    description:
      'Go: the instrumentation with a no-op tracer provider, so only its metrics are recorded',
    sampleRatio: 0,
    metrics: true,
  },
  instrumented: {
    description: 'Go: the instrumentation, 100 % sampled, batch span processor, its metrics',
    sampleRatio: 1,
    metrics: true,
  },
  'instrumented-10%': {
    description: 'Go: the instrumentation, 10 % sampled (parent-based ratio sampler), its metrics',
    sampleRatio: 0.1,
    metrics: true,
  },
};

/** What `instrumented` means for each Go framework. */
/** @type {Record<typeof GO_FRAMEWORKS[number], string>} */
export const GO_INSTRUMENTATION = {
  gin: 'otelgin (go.opentelemetry.io/contrib), Go SDK',
  echo: 'otelhttp around Echo, plus one Echo middleware that reports the matched route, Go SDK',
};

/** What `official` means for each framework. */
/** @type {Record<typeof FRAMEWORKS[number], string>} */
export const OFFICIAL_INSTRUMENTATION = {
  express: '@opentelemetry/instrumentation-http + @opentelemetry/instrumentation-express',
  fastify: '@opentelemetry/instrumentation-http + @fastify/otel',
  hono: '@hono/otel',
  koa: '@opentelemetry/instrumentation-http + @opentelemetry/instrumentation-koa',
};

/** The one route every server answers, and the URL path the load generator requests. */
export const ROUTE = '/users/:id';
export const REQUEST_PATH = '/users/42';

/**
 * @template T
 * @param {readonly T[]} list
 * @param {number} by
 * @returns {T[]}
 */
export function rotate(list, by) {
  if (list.length === 0) return [];
  const shift = ((by % list.length) + list.length) % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

/**
 * The order in which one round measures the cells. A framework's modes run back to back, so that
 * each is compared with a `bare` measured minutes (not tens of minutes) apart; both the framework
 * order and the mode order rotate by one each round, so no cell always runs first, last, or right
 * after the same neighbour.
 *
 * @template {string} F
 * @template {string} M
 * @param {number} round Zero-based round number.
 * @param {readonly F[]} frameworks
 * @param {readonly M[] | ((framework: F) => readonly M[])} modes The modes, the same for every
 *   framework or chosen per framework (the Go rows have modes of their own).
 * @returns {{ framework: F, mode: M }[]}
 */
export function roundOrder(round, frameworks, modes) {
  const modesOf = typeof modes === 'function' ? modes : () => modes;
  return rotate(frameworks, round).flatMap((framework) =>
    rotate(modesOf(framework), round).map((mode) => ({ framework, mode })),
  );
}
