// `pnpm compare` (the root script runs this with --build): starts the four examples and the distributed chain on free loopback ports, sends
// each example the same scripted requests and the chain one request, collects their spans over
// OTLP and scrapes their metrics, then prints the telemetry side by side and the distributed trace
// as a tree, and writes the same as an HTML report. Exits 0 when the four frameworks agree and
// every expectation is met, 1 when they do not, 2 when the comparison could not run. Everything it
// started is stopped when it ends, Ctrl-C included.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CHAIN, ENTRY_PATH, GO_HOP, TENANT_KEY } from '@otel-http/example-distributed/chain';
import { buildQuietly } from './build.js';
import { buildGo, GO_EXAMPLES, goRequired } from './go.js';
import { compareWithGo } from './go-differences.js';
import { startOtlpReceiver } from './otlp-receiver.js';
import { parsePrometheusText } from './prometheus-text.js';
import { renderHtml } from './render-html.js';
import { renderText } from './render-text.js';
import { EXAMPLES, EXPORT_DELAY_MS, ServiceGroup } from './services.js';
import { buildTraceTree, formatTraceTree } from './trace-tree.js';
import { send, TRAFFIC } from './traffic.js';

const USAGE = `Usage: pnpm compare [--build] [--report <file.html>] [--json <file.json>] [--example <name>=<main.js>]

  --build    build the packages first (\`pnpm compare\` at the root does), printing the build's
             output only when it fails
  --report   where to write the HTML report (default: examples/compare/reports/compare.html)
  --json     also write the comparison as JSON
  --example  run another script in place of an example (express, fastify, hono or koa), e.g. a
             variant of it, to compare it with the others; repeatable`;

/** How long spans may take to arrive after the last request. */
const SPAN_WAIT_MS = 15_000;

const { values: options } = parseArgs({
  options: {
    report: { type: 'string' },
    json: { type: 'string' },
    example: { type: 'string', multiple: true },
    build: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (options.build) {
  process.stdout.write('Building the packages… ');
  const build = await buildQuietly();
  if (!build.ok) {
    console.log('failed. Its output:\n');
    process.stdout.write(build.log);
    process.exit(2);
  }
  console.log(`done (${build.seconds.toFixed(0)} s).`);
}
const replaced = {};
for (const entry of options.example ?? []) {
  const [name, script] = entry.split(/=(.*)/s);
  if (!EXAMPLES.includes(name) || !script) {
    console.error(
      `--example ${entry}: expected <name>=<script>, name one of ${EXAMPLES.join(', ')}`,
    );
    process.exit(2);
  }
  replaced[name] = resolve(script);
}

const missing = ['core', 'node', 'express', 'fastify', 'hono', 'koa']
  .map((name) => new URL(`../../../packages/${name}/dist/index.js`, import.meta.url))
  .filter((file) => !existsSync(file));
if (missing.length > 0) {
  console.error(
    `The packages are not built (${missing.map((file) => fileURLToPath(file)).join(', ')} missing).\n` +
      'Run `pnpm build` first; `pnpm compare` at the root does both.',
  );
  process.exit(2);
}

process.stdout.write('Building the Go examples… ');
const go = buildGo();
console.log(go.available ? `done (${go.note}).` : `skipped.\n  ${go.note}`);
if (!go.available && goRequired()) {
  console.error('OTEL_HTTP_REQUIRE_GO is set: the Go columns must run.');
  process.exit(2);
}

const receiver = await startOtlpReceiver();
const group = new ServiceGroup(receiver.tracesUrl, go);
let finishing;
const finish = (code) => {
  finishing ??= (async () => {
    await group.stopAll();
    await receiver.close();
    go.remove();
    process.exit(code);
  })();
  return finishing;
};
process.once('SIGINT', () => {
  console.error('\nInterrupted: stopping every service it started.');
  void finish(130);
});
process.once('SIGTERM', () => void finish(143));
// Last resort if the process ends some other way: nothing can be awaited here.
process.on('exit', () => group.killAll());

try {
  await finish(await compare());
} catch (error) {
  // After Ctrl-C, services stopping while they start are no news.
  if (finishing === undefined) console.error(`The comparison could not run: ${error.message}`);
  await finish(2);
}

async function compare() {
  const also = go.available ? `, ${GO_EXAMPLES.join(' and ')} (Go),` : '';
  console.log(`Starting the four examples${also} and the distributed chain on loopback ports…`);
  const [examples, chain] = await Promise.all([group.startExamples(replaced), group.startChain()]);
  for (const service of [...examples, ...chain]) {
    const variant = replaced[service.name] ? `  (${replaced[service.name]})` : '';
    console.log(
      `  ${service.name.padEnd(10)} ${service.framework.padEnd(8)} ${service.url.padEnd(24)} metrics ${service.metricsUrl}${variant}`,
    );
  }

  console.log(
    `Sending ${TRAFFIC.length} scripted requests to each example, one through the chain…`,
  );
  const sent = Object.fromEntries(
    await Promise.all(
      examples.map(async (service) => {
        const answers = [];
        for (const request of TRAFFIC) answers.push(await send(service.url, request));
        return [service.name, answers];
      }),
    ),
  );
  const gateway = chain.find((service) => service.name === 'gateway');
  // A baggage member the chain must carry to its end, through the Go hop when it runs.
  const tenant = 'compare-tenant';
  const entry = await send(gateway.url, {
    method: 'GET',
    path: ENTRY_PATH,
    headers: { baggage: `${TENANT_KEY}=${tenant}` },
  });

  const arrived = await waitForSpans(sent, entry);
  // Anything that should not be there (a second span, a span for an ignored request) would have
  // been queued before the spans waited for; give the last export batch time to land.
  await sleep(3 * EXPORT_DELAY_MS);

  const runs = {};
  for (const service of examples) {
    const traceIds = new Set(sent[service.name].map((request) => request.traceId));
    const response = await fetch(service.metricsUrl, { signal: AbortSignal.timeout(5000) });
    runs[service.name] = {
      sent: sent[service.name],
      spans: receiver.spans.filter((span) => traceIds.has(span.traceId)),
      logs: service.logs,
      metrics: parsePrometheusText(await response.text()),
    };
  }

  const goNames = go.available ? GO_EXAMPLES : [];
  const withGo = compareWithGo(TRAFFIC, runs, goNames);
  // Every column is shown; what fails is a difference between the Node frameworks, an unmet
  // expectation of theirs, or a Go difference that go-differences.js does not explain.
  const comparison = {
    ...withGo.all,
    agreeing: withGo.node.frameworks,
    differences: [...withGo.node.differences, ...withGo.unexplained],
    problems: withGo.node.problems,
    explained: withGo.explained.map(({ text, explanation }) => ({
      text,
      id: explanation.id,
      kind: explanation.kind,
      why: explanation.why,
    })),
  };
  const tree = buildTraceTree(
    receiver.spans.filter((span) => span.traceId === entry.traceId),
    { parentSpanId: entry.parentSpanId, services: group.chainServices() },
  );
  const frameworkOf = Object.fromEntries(
    [...CHAIN, GO_HOP].map((service) => [service.name, service.framework]),
  );
  const chainSpans = receiver.spans.filter((span) => span.traceId === entry.traceId);
  const baggage = baggageSeen(chainSpans, group.chainServices(), tenant);
  const distributed = {
    lines: formatTraceTree(tree.roots, frameworkOf),
    baggage,
    problems: [...tree.problems, ...baggage.problems],
  };
  if (entry.status !== 200) {
    distributed.problems.unshift(`${ENTRY_PATH} answered ${entry.status || entry.error}`);
  }
  const runProblems = receiver.problems.map((problem) => `OTLP receiver: ${problem}`);
  if (!arrived)
    runProblems.unshift(`some spans had not arrived ${SPAN_WAIT_MS} ms after the traffic`);
  // Shown with the comparison, and failing whatever the frameworks are.
  comparison.problems.push(...runProblems);

  console.log('');
  console.log(renderText(comparison, distributed, { color: useColor() }));
  console.log(
    `Baggage ${distributed.baggage.member}: seen by ${distributed.baggage.seenBy.join(', ') || 'no service'}.`,
  );
  console.log('');
  console.log(goSummary(withGo, go));

  const reportPath = resolve(
    options.report ?? fileURLToPath(new URL('../reports/compare.html', import.meta.url)),
  );
  mkdirSync(dirname(reportPath), { recursive: true });
  const services = [...examples, ...chain].map(({ name, framework, url }) => ({
    name,
    framework,
    url,
  }));
  writeFileSync(
    reportPath,
    renderHtml(comparison, distributed, { generatedAt: new Date().toISOString(), services }),
  );
  console.log(`\nHTML report: ${reportPath}`);
  if (options.json) {
    const jsonPath = resolve(options.json);
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, `${JSON.stringify({ services, comparison, distributed }, null, 2)}\n`);
    console.log(`JSON: ${jsonPath}`);
  }

  // The Node frameworks must agree with each other; Go may differ from them only as explained.
  const failed = comparison.differences.length > 0 || comparison.problems.length > 0;
  return failed || distributed.problems.length > 0 ? 1 : 0;
}

/**
 * Which services of the chain saw the baggage member: each copies it onto its SERVER span. A
 * service whose SERVER span lacks it (or has another value) is a problem.
 */
function baggageSeen(spans, services, value) {
  const seenBy = [];
  const problems = [];
  for (const service of services) {
    const servers = spans.filter(
      (span) => span.kind === 'SERVER' && span.resource['service.name'] === service,
    );
    if (servers.length === 0) continue; // the trace tree reports the missing SERVER span
    if (servers.every((span) => span.attributes[TENANT_KEY] === value)) seenBy.push(service);
    else problems.push(`${service}'s SERVER span has no baggage ${TENANT_KEY}=${value}`);
  }
  return { member: `${TENANT_KEY}=${value}`, seenBy, problems };
}

/** What the Go columns show: skipped, or every difference from the Node ones with its reason. */
function goSummary({ node, explained, unexplained }, goBuild) {
  if (!goBuild.available) return `Go columns: skipped (${goBuild.note.split('\n')[0]}).`;
  const lines = [
    `Node frameworks among themselves: ${node.differences.length} difference(s), ${node.problems.length} unmet expectation(s).`,
    `Go (gin, echo) beside Node: ${explained.length} explained difference(s), ${unexplained.length} unexplained.`,
  ];
  const byExplanation = new Map();
  for (const { explanation } of explained) {
    byExplanation.set(explanation, (byExplanation.get(explanation) ?? 0) + 1);
  }
  for (const [explanation, count] of byExplanation) {
    lines.push(`  ${explanation.id} (${explanation.kind}, ${count} row(s)): ${explanation.why}`);
  }
  for (const text of unexplained) lines.push(`  ✗ unexplained: ${text}`);
  return lines.join('\n');
}

/**
 * Waits until every recorded request's SERVER span has arrived (a service exports a span's
 * children before the span itself, which ends last) and the distributed trace is complete.
 */
async function waitForSpans(sent, entry) {
  const serverSpanOf = (traceId) =>
    receiver.spans.some((span) => span.traceId === traceId && span.kind === 'SERVER');
  const expected = Object.values(sent)
    .flatMap((answers) => answers.map((answer, index) => ({ answer, scripted: TRAFFIC[index] })))
    .filter(({ answer, scripted }) => answer.status !== 0 && !scripted.ignored)
    .map(({ answer }) => answer.traceId);
  const chainComplete = () => {
    const spans = receiver.spans.filter((span) => span.traceId === entry.traceId);
    if (!spans.some((span) => span.parentSpanId === entry.parentSpanId)) return false;
    return (
      buildTraceTree(spans, { parentSpanId: entry.parentSpanId, services: [] }).problems.length ===
      0
    );
  };
  const deadline = Date.now() + SPAN_WAIT_MS;
  while (Date.now() < deadline) {
    if (expected.every(serverSpanOf) && (entry.status === 0 || chainComplete())) return true;
    await sleep(50);
  }
  return false;
}

function useColor() {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}
