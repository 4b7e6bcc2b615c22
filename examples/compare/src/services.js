/**
 * Starts the services the comparison talks to — the four examples and the four services of the
 * distributed chain — as child processes on free loopback ports, with their spans sent to the
 * command's own OTLP receiver, and stops every one of them again.
 */
import { fileURLToPath } from 'node:url';
import { CHAIN, GO_HOP } from '@otel-http/example-distributed/chain';
import { launch, parseJson } from '@otel-http/example-distributed/launch';
import { GO_EXAMPLES } from './go.js';

/** The four single-service examples, in table order. */
export const EXAMPLES = ['express', 'fastify', 'hono', 'koa'];

/** How long a service waits before exporting a batch of spans: short, so the command is quick. */
export const EXPORT_DELAY_MS = 100;

/**
 * @typedef {object} StartedService
 * @property {string} name - `express`, …, or a service of the chain (`gateway`, …).
 * @property {string} framework
 * @property {string} url
 * @property {string} metricsUrl
 * @property {Record<string, unknown>[]} logs - Its JSON log lines so far.
 * @property {string[]} output - Its other output lines (stderr, non-JSON stdout).
 * @property {() => Promise<void>} stop
 */

/** Keeps track of what was started, so that everything can be stopped from anywhere. */
export class ServiceGroup {
  /** @type {StartedService[]} */
  started = [];
  /** Services still starting: stopping waits until they run (and have stopped again). */
  launching = new Set();
  stopping = false;

  /**
   * @param {string} tracesUrl - Where the services send their spans.
   */
  constructor(tracesUrl, go = { available: false, programs: {} }) {
    this.tracesUrl = tracesUrl;
    this.go = go;
  }

  /**
   * The four examples, and the two Go ones when Go was built, started in parallel.
   *
   * @param {Record<string, string>} [replaced] - Scripts to run instead, by example name.
   */
  startExamples(replaced = {}) {
    const go = this.go.available ? GO_EXAMPLES : [];
    return Promise.all([
      ...EXAMPLES.map((framework) =>
        this.start(
          framework,
          framework,
          replaced[framework] ?? scriptOf(`@otel-http/example-${framework}/main`),
          {},
        ),
      ),
      ...go.map((framework) =>
        this.start(framework, framework, { command: [this.go.programs[framework]] }, {}),
      ),
    ]);
  }

  /**
   * The chain, from its end to its entry, each service given the address of the next; with the
   * Go hop in front of the service it calls when Go was built.
   */
  async startChain() {
    const addresses = {};
    const services = [];
    const directory = new URL('.', import.meta.resolve('@otel-http/example-distributed/chain'));
    for (const { name, framework, script, urlVariable } of CHAIN) {
      if (name === 'gateway' && this.go.available) {
        const hop = await this.start(
          GO_HOP.name,
          GO_HOP.framework,
          { command: [this.go.programs[GO_HOP.program]] },
          addresses,
        );
        addresses[GO_HOP.urlVariable] = hop.url;
        services.push(hop);
      }
      const service = await this.start(
        name,
        framework,
        fileURLToPath(new URL(script, directory)),
        addresses,
      );
      addresses[urlVariable] = service.url;
      services.push(service);
    }
    return services;
  }

  /** Names of the services the chain runs through, in the order they were started. */
  chainServices() {
    const names = CHAIN.map((service) => service.name);
    if (this.go.available) names.splice(names.indexOf('gateway'), 0, GO_HOP.name);
    return names;
  }

  /**
   * Starts one service, a Node script or `{ command }`, a program; it joins the group as soon as
   * it runs.
   */
  start(name, framework, script, extraEnv) {
    if (this.stopping) return Promise.reject(new Error('stopping'));
    const starting = this.launch(name, framework, script, extraEnv);
    this.launching.add(starting);
    const forget = () => this.launching.delete(starting);
    starting.then(forget, forget);
    return starting;
  }

  async launch(name, framework, script, extraEnv) {
    const logs = [];
    const output = [];
    const running = await launch({
      ...(typeof script === 'string' ? { script } : script),
      env: { ...this.environment(), ...extraEnv },
      onLine: (line) => {
        const record = parseJson(line);
        if (record) logs.push(record);
        else output.push(line);
      },
    });
    const service = { name, framework, ...running, logs, output, alive: true };
    void running.exited.then(() => {
      service.alive = false;
    });
    this.started.push(service);
    if (this.stopping) await running.stop();
    return service;
  }

  /**
   * The environment of every service: this process's, without any setting the command decides,
   * plus free loopback ports, OTLP to the receiver, and Prometheus on loopback.
   */
  environment() {
    const decided = new Set([
      'PORT',
      'HOST',
      'LOG_LEVEL',
      ...[...CHAIN, GO_HOP].map((s) => s.urlVariable),
    ]);
    const inherited = Object.entries(process.env).filter(
      ([key]) => !key.startsWith('OTEL_') && !decided.has(key),
    );
    return {
      ...Object.fromEntries(inherited),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: this.tracesUrl,
      OTEL_BSP_SCHEDULE_DELAY: String(EXPORT_DELAY_MS),
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    };
  }

  /** Stops every service started so far (and any still starting, once it runs). */
  async stopAll() {
    this.stopping = true;
    await Promise.allSettled([...this.launching]);
    await Promise.all(this.started.map((service) => service.stop()));
  }

  /** Kills what is left at once: for the process's `exit` event, where nothing can be awaited. */
  killAll() {
    for (const service of this.started) {
      if (!service.alive) continue;
      try {
        process.kill(service.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

function scriptOf(specifier) {
  return fileURLToPath(import.meta.resolve(specifier));
}
