/**
 * The observability stack without Docker: the same configuration files as compose.yaml, run as
 * processes on loopback.
 *
 *   examples ──OTLP──> collector (Jaeger's binary, otel-collector.yaml) ──OTLP──> Jaeger (jaeger.yaml)
 *   Prometheus (prometheus/prometheus.yml, rules/) ──scrapes──> examples, collector, Jaeger
 *   Prometheus ──alerts──> Alertmanager (alertmanager/alertmanager.yml)
 *
 * `pnpm stack` builds Jaeger once into a cache directory outside the repository (from the Go
 * module in jaeger-build/, pinned by its go.sum), installs Debian's prometheus and
 * prometheus-alertmanager when they are missing, starts everything and the examples, and stops it
 * all on Ctrl-C; with Go on PATH also the Go shops (examples/go: Gin, Echo) and the chain's Go hop,
 * which Prometheus scrapes like the Node services (`--tail-sampling` adds the collector's tail-sampling overlay; `--install-only`
 * installs and builds, and starts nothing). The tests import the same functions and start the
 * parts they need on free ports.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CHAIN, GO_HOP } from '../../distributed/src/chain.js';
import { launch } from '../../distributed/src/launch.js';

/** The Jaeger release whose binary (`cmd/jaeger`, Jaeger v2) plays collector and trace store. */
export const JAEGER_VERSION = 'v1.75.0';

/** This directory: the configuration files compose.yaml mounts. */
export const OBSERVABILITY_DIR = fileURLToPath(new URL('../', import.meta.url));
const EXAMPLES_DIR = fileURLToPath(new URL('../../', import.meta.url));
const GO_DIR = join(EXAMPLES_DIR, 'go');
/** The Go programs of examples/go the stack runs, by the name it starts them under. */
const GO_PROGRAMS = { gin: 'shop-gin', echo: 'shop-echo', [GO_HOP.name]: GO_HOP.program };

/** Where `pnpm stack` and CI keep what they build: the Jaeger binary and Go's caches. */
export function cacheDirectory() {
  return (
    process.env.OTEL_HTTP_CI_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'otel-http-ci')
  );
}

/** Path of the Jaeger binary in the cache (it may not be built yet). */
export function jaegerBinary() {
  return join(cacheDirectory(), `jaeger-${JAEGER_VERSION}`, 'jaeger');
}

/** An executable called `name` on PATH, or `undefined`. */
export function findOnPath(name) {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * Builds Jaeger from the Go module proxy unless the cache already holds it. The module in
 * jaeger-build/ pins the version and every dependency (go.sum); GOCACHE and GOMODCACHE live in
 * the cache directory so that the next build, here or in CI, reuses them.
 *
 * @returns {string} The binary's path.
 */
export function buildJaeger({ log = console.log } = {}) {
  const binary = jaegerBinary();
  if (existsSync(binary)) return binary;
  const go = findOnPath('go');
  if (go === undefined)
    throw new Error('building Jaeger needs Go (https://go.dev/dl/), not found on PATH');
  const cache = join(cacheDirectory(), 'go');
  log(`Building Jaeger ${JAEGER_VERSION} into ${binary} (once; several minutes)`);
  const result = spawnSync(
    go,
    ['build', '-trimpath', '-o', binary, 'github.com/jaegertracing/jaeger/cmd/jaeger'],
    {
      cwd: join(OBSERVABILITY_DIR, 'jaeger-build'),
      env: {
        ...process.env,
        GOCACHE: join(cache, 'build'),
        GOMODCACHE: join(cache, 'mod'),
        GOFLAGS: '-mod=mod',
        GOTOOLCHAIN: 'local',
      },
      stdio: 'inherit',
    },
  );
  if (result.status !== 0)
    throw new Error(`go build of Jaeger failed (${result.status ?? result.signal})`);
  return binary;
}

/** Installs Debian's prometheus and prometheus-alertmanager when their binaries are missing. */
export function installDebianPackages({ log = console.log } = {}) {
  const wanted = {
    prometheus: 'prometheus',
    promtool: 'prometheus',
    'prometheus-alertmanager': 'prometheus-alertmanager',
  };
  const missing = [
    ...new Set(
      Object.entries(wanted)
        .filter(([binary]) => !findOnPath(binary))
        .map(([, pkg]) => pkg),
    ),
  ];
  if (missing.length === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  log(`Installing ${missing.join(', ')} with apt-get`);
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...missing]]) {
    const [command, ...rest] = [...sudo, 'apt-get', ...args];
    const result = spawnSync(command, rest, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: 'inherit',
    });
    if (result.status !== 0)
      throw new Error(`apt-get ${args[0]} failed; install ${missing.join(' ')} yourself`);
  }
}

/** The default loopback ports of `pnpm stack` (the compose file publishes the same ones). */
export const DEFAULT_PORTS = {
  collectorGrpc: 4317,
  collectorHttp: 4318,
  collectorMetrics: 8888,
  jaegerGrpc: 14317,
  jaegerHttp: 14318,
  jaegerQuery: 16686,
  jaegerQueryGrpc: 16685,
  jaegerHealth: 13133,
  jaegerMetrics: 8889,
  prometheus: 9090,
  alertmanager: 9093,
};

/**
 * Starts a long-running program and waits until `ready()` holds. Its output is kept (the last
 * 200 lines) for error messages, and passed to `onLine`.
 *
 * @returns {Promise<{ name: string, pid: number, output(): string, exited: Promise<number | null>, stop(): Promise<void> }>}
 */
export async function startProcess({
  name,
  command,
  args,
  env = process.env,
  ready,
  timeoutMs = 60_000,
  onLine = () => {},
}) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const keep = (line) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
    onLine(line);
  };
  createInterface({ input: child.stdout }).on('line', keep);
  createInterface({ input: child.stderr }).on('line', keep);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  let spawnError;
  child.once('error', (error) => {
    spawnError = error;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  const running = { name, pid: child.pid, output: () => lines.join('\n'), exited, stop };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`${name}: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${running.output()}`,
      );
    }
    if (await ready().catch(() => false)) return running;
    await sleep(200);
  }
  await stop();
  throw new Error(`${name} was not ready after ${timeoutMs} ms:\n${running.output()}`);
}

/** `true` once `url` answers with a 2xx. */
export async function answers(url, init) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.ok;
}

/**
 * The collector: Jaeger's binary with otel-collector.yaml (plus the tail-sampling overlay when
 * asked), OTLP in on `collectorGrpc`/`collectorHttp`, out to Jaeger's OTLP gRPC port.
 */
export function startCollector({
  binary = jaegerBinary(),
  ports,
  tailSampling = false,
  env = {},
  onLine,
}) {
  const configs = [
    'otel-collector.yaml',
    ...(tailSampling ? ['otel-collector.tail-sampling.yaml'] : []),
  ];
  return startProcess({
    name: 'collector',
    command: binary,
    args: configs.map((file) => `--config=${join(OBSERVABILITY_DIR, file)}`),
    env: {
      ...process.env,
      COLLECTOR_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.collectorGrpc}`,
      COLLECTOR_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.collectorHttp}`,
      COLLECTOR_METRICS_HOST: '127.0.0.1',
      COLLECTOR_METRICS_PORT: String(ports.collectorMetrics),
      JAEGER_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.jaegerGrpc}`,
      ...env,
    },
    // An empty OTLP/JSON request is accepted once the receiver listens.
    ready: () =>
      answers(`http://127.0.0.1:${ports.collectorHttp}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
    onLine,
  });
}

/** Jaeger: jaeger.yaml, OTLP in on `jaegerGrpc`/`jaegerHttp`, the UI and HTTP API on `jaegerQuery`. */
export function startJaeger({ binary = jaegerBinary(), ports, onLine }) {
  return startProcess({
    name: 'jaeger',
    command: binary,
    args: [`--config=${join(OBSERVABILITY_DIR, 'jaeger.yaml')}`],
    env: {
      ...process.env,
      JAEGER_OTLP_GRPC_LISTEN: `127.0.0.1:${ports.jaegerGrpc}`,
      JAEGER_OTLP_HTTP_LISTEN: `127.0.0.1:${ports.jaegerHttp}`,
      JAEGER_QUERY_HTTP_ENDPOINT: `127.0.0.1:${ports.jaegerQuery}`,
      JAEGER_QUERY_GRPC_ENDPOINT: `127.0.0.1:${ports.jaegerQueryGrpc}`,
      JAEGER_HEALTH_ENDPOINT: `127.0.0.1:${ports.jaegerHealth}`,
      JAEGER_METRICS_HOST: '127.0.0.1',
      JAEGER_METRICS_PORT: String(ports.jaegerMetrics),
    },
    ready: () => answers(`http://127.0.0.1:${ports.jaegerQuery}/api/services`),
    onLine,
  });
}

/**
 * prometheus/prometheus.yml for processes on this machine: each compose address becomes a
 * loopback one (`addresses` maps the ones that differ, e.g. an example on a free port), and the
 * rule files are found where they are, not next to the written copy.
 */
export function localPrometheusConfig(
  text,
  { addresses = {}, ports = DEFAULT_PORTS, rulesGlob } = {},
) {
  const fixed = {
    'otel-collector:8888': `127.0.0.1:${ports.collectorMetrics}`,
    'jaeger:8888': `127.0.0.1:${ports.jaegerMetrics}`,
    'alertmanager:9093': `127.0.0.1:${ports.alertmanager}`,
    ...addresses,
  };
  let config = text;
  for (const [from, to] of Object.entries(fixed))
    config = config.replaceAll(`"${from}"`, `"${to}"`);
  config = config.replaceAll('"host.docker.internal:', '"127.0.0.1:');
  return config.replace(
    '  - rules/*.rules.yml',
    `  - ${JSON.stringify(rulesGlob ?? join(OBSERVABILITY_DIR, 'prometheus', 'rules', '*.rules.yml'))}`,
  );
}

/** Prometheus with `config` (the text of a configuration file) and storage in `directory`. */
export function startPrometheus({ config, directory, port, args = [], onLine }) {
  mkdirSync(directory, { recursive: true });
  const file = join(directory, 'prometheus.yml');
  writeFileSync(file, config);
  return startProcess({
    name: 'prometheus',
    command: findOnPath('prometheus') ?? 'prometheus',
    args: [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...args,
    ],
    ready: () => answers(`http://127.0.0.1:${port}/-/ready`),
    onLine,
  });
}

/** Alertmanager (Debian's binary) with `config` (text), state in `directory`, no clustering. */
export function startAlertmanager({ config, directory, port, onLine }) {
  mkdirSync(directory, { recursive: true });
  const file = join(directory, 'alertmanager.yml');
  writeFileSync(file, config);
  return startProcess({
    name: 'alertmanager',
    command:
      findOnPath('prometheus-alertmanager') ??
      findOnPath('alertmanager') ??
      'prometheus-alertmanager',
    args: [
      `--config.file=${file}`,
      `--storage.path=${join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    ready: () => answers(`http://127.0.0.1:${port}/-/ready`),
    onLine,
  });
}

/**
 * Starts an example (`express`, …) or a service of the chain (`distributed/inventory`, …) with
 * its spans sent to `otlpEndpoint` and its metrics on its Prometheus endpoint.
 */
export function startExample(name, { otlpEndpoint, env = {}, onLine }) {
  const script = name.startsWith('distributed/')
    ? join(EXAMPLES_DIR, 'distributed', 'src', `${name.slice('distributed/'.length)}.js`)
    : join(EXAMPLES_DIR, name, 'src', 'main.js');
  return launch({
    script,
    env: {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_METRICS_EXPORTER: 'prometheus',
      ...env,
    },
    onLine,
  });
}

/**
 * Builds the Go services (the shop on Gin and on Echo, the chain's storefront) into `directory`
 * with the Go toolchain on PATH. Without one, `undefined`: the stack runs the Node services only.
 *
 * @returns {Record<string, string> | undefined} The path of each program, by name.
 */
export function buildGoServices(directory, { log = console.log } = {}) {
  const go = findOnPath('go');
  if (go === undefined) {
    log('No Go toolchain on PATH: the Go shops (gin, echo) and the storefront are not started');
    return undefined;
  }
  const programs = Object.values(GO_PROGRAMS);
  const result = spawnSync(go, ['build', '-o', directory, ...programs.map((p) => `./cmd/${p}`)], {
    cwd: GO_DIR,
    stdio: 'inherit',
  });
  if (result.status !== 0)
    throw new Error(`go build of examples/go failed (${result.status ?? result.signal})`);
  return Object.fromEntries(
    Object.entries(GO_PROGRAMS).map(([name, program]) => [name, join(directory, program)]),
  );
}

/** Starts a Go program of examples/go on its default ports, its spans sent to `otlpEndpoint`. */
export function startGoService(program, { otlpEndpoint, env = {}, onLine }) {
  return launch({
    command: [program],
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, ...env },
    onLine,
  });
}

/**
 * Starts the four services of the chain, the end first, each given the address of the next.
 * `env(name)` adds variables per service (a port, say). With `storefront` (the Go hop's program),
 * the gateway calls it and it calls orders.
 */
export async function startChain({
  otlpEndpoint,
  env = () => ({}),
  onLine = () => () => {},
  storefront,
}) {
  const running = [];
  const addresses = {};
  try {
    for (const { name, urlVariable } of CHAIN) {
      if (name === 'gateway' && storefront !== undefined) {
        const hop = await startGoService(storefront, {
          otlpEndpoint,
          env: { ...addresses, ...env(GO_HOP.name) },
          onLine: onLine(GO_HOP.name),
        });
        running.push({ name: GO_HOP.name, ...hop });
        addresses[GO_HOP.urlVariable] = hop.url;
      }
      const service = await startExample(`distributed/${name}`, {
        otlpEndpoint,
        env: { ...addresses, ...env(name) },
        onLine: onLine(name),
      });
      running.push({ name, ...service });
      addresses[urlVariable] = service.url;
    }
  } catch (error) {
    await Promise.all(running.map((service) => service.stop()));
    throw error;
  }
  return running;
}

/** `pnpm stack`: everything, on the default ports, until Ctrl-C. */
async function main() {
  const prefix = (name) => (line) => console.log(`[${name.padEnd(12)}] ${line}`);
  installDebianPackages();
  const binary = buildJaeger();
  // CI's step: what the stack needs, installed and built (or found in the cache), nothing started.
  if (process.argv.includes('--install-only')) {
    console.log(`${binary}: ready`);
    return;
  }
  const ports = DEFAULT_PORTS;
  const directory = mkdtempSync(join(tmpdir(), 'otel-http-stack-'));
  const running = [];
  let stopping = false;
  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    for (const part of running.reverse()) await part.stop().catch(() => {});
    rmSync(directory, { recursive: true, force: true });
    process.exit(code);
  };
  process.once('SIGINT', () => stopAll(0));
  process.once('SIGTERM', () => stopAll(0));

  const tailSampling = process.argv.includes('--tail-sampling');
  const quiet = () => {};
  try {
    running.push(await startJaeger({ binary, ports, onLine: quiet }));
    running.push(await startCollector({ binary, ports, tailSampling, onLine: quiet }));
    const shipped = readFileSync(join(OBSERVABILITY_DIR, 'prometheus', 'prometheus.yml'), 'utf8');
    running.push(
      await startPrometheus({
        config: localPrometheusConfig(shipped, { ports }),
        directory: join(directory, 'prometheus'),
        port: ports.prometheus,
        args: ['--enable-feature=exemplar-storage'],
        onLine: prefix('prometheus'),
      }),
    );
    const alertmanager = readFileSync(
      join(OBSERVABILITY_DIR, 'alertmanager', 'alertmanager.yml'),
      'utf8',
    );
    running.push(
      await startAlertmanager({
        config: alertmanager.replaceAll('host.docker.internal', '127.0.0.1'),
        directory: join(directory, 'alertmanager'),
        port: ports.alertmanager,
        onLine: prefix('alertmanager'),
      }),
    );
    const otlpEndpoint = `http://127.0.0.1:${ports.collectorHttp}`;
    for (const name of ['express', 'fastify', 'hono', 'koa']) {
      running.push(
        await startExample(name, {
          otlpEndpoint,
          env: {},
          onLine: prefix(name),
        }),
      );
    }
    const go = buildGoServices(join(directory, 'go'));
    for (const name of go === undefined ? [] : ['gin', 'echo']) {
      running.push(await startGoService(go[name], { otlpEndpoint, onLine: prefix(name) }));
    }
    running.push(
      ...(await startChain({ otlpEndpoint, onLine: prefix, storefront: go?.[GO_HOP.name] })),
    );
  } catch (error) {
    console.error(error.message);
    await stopAll(1);
    return;
  }
  console.log(`
The stack runs on loopback${tailSampling ? ' (the collector tail-samples)' : ''}:
  collector      OTLP http://127.0.0.1:${ports.collectorHttp} (HTTP), 127.0.0.1:${ports.collectorGrpc} (gRPC)
  Jaeger         http://127.0.0.1:${ports.jaegerQuery}
  Prometheus     http://127.0.0.1:${ports.prometheus} (alerts: /alerts)
  Alertmanager   http://127.0.0.1:${ports.alertmanager}
  examples       http://127.0.0.1:3001 … :3004 (Go: :3005 gin, :3006 echo, with Go on PATH)
  the chain      http://127.0.0.1:4000/api/orders/2 (through the Go storefront on :4005, with Go)
Ctrl-C stops everything.`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
