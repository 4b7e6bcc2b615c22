/**
 * Defects found by two later hostile passes over real loopback HTTP (since fixed in core), each
 * re-measured on every target: how many requests still show the defect. Every result's
 * `observed` must equal its `expected` when the defect is absent.
 */
import { Agent } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import { pool, rawExchange, send } from '../client.js';
import { throwFromHandlers } from '../probe.js';
import type { Target } from '../targets.js';
import { createTelemetry } from '../telemetry.js';
import type { FindingResult } from './findings.js';

/** A value whose every trap throws: `instanceof`, property reads and `String()` all fail. */
function trapsThrow(): object {
  const fail = () => {
    throw new Error('proxy trap');
  };
  return new Proxy({}, { get: fail, getPrototypeOf: fail, has: fail, ownKeys: fail });
}

/** The `exception.message` + `exception.stacktrace` most an exception event may carry by default. */
export const EXCEPTION_TEXT_LIMIT = 4096 + 16384;

export interface SecondPassFinding {
  readonly id: string;
  /** What was wrong, as filed. */
  readonly defect: string;
  /** Why a target cannot run this finding, if it cannot. */
  readonly skip?: (target: Target) => string | undefined;
  run(target: Target, requests: number): Promise<FindingResult>;
}

async function requestUsers(url: string, requests: number, timeoutMs = 10_000) {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  try {
    const run = await pool(requests, 8, (i) => send(`${url}/users/${i}`, { agent, timeoutMs }));
    return run.results.filter((r) => r.value !== undefined).length;
  } finally {
    agent.destroy();
  }
}

/** Server spans (kind SERVER = 1) among `spans`. */
const serverSpans = <T extends { kind: number }>(spans: T[]) => spans.filter((s) => s.kind === 1);

export const SECOND_PASS: readonly SecondPassFinding[] = [
  {
    id: 'hostile-throw',
    defect:
      'a handler throws a Proxy whose traps throw: the server span was never ended (Express, Koa)',
    // Koa's own error handler throws on such a value (it reads `Symbol.toStringTag`), leaving an
    // unhandled rejection and no answer with or without telemetry: nothing to compare against, and
    // the rejection would end the process. Core's end path is the same for every adapter.
    skip: (target) => (target.name === 'koa' ? 'Koa itself cannot answer such a value' : undefined),
    async run(target, requests) {
      const telemetry = createTelemetry();
      throwFromHandlers(trapsThrow);
      // What the framework does on its own with such a value: the yardstick for `answered`.
      const control = await target.start(telemetry.options, { instrument: false });
      const server = await target.start(telemetry.options);
      try {
        const controlAnswered = await requestUsers(control.url, requests, 1_000);
        const answered = await requestUsers(server.url, requests, 1_000);
        const spans = serverSpans(await telemetry.waitForSpans(requests, 3_000));
        return {
          ...result(
            target,
            this,
            requests,
            answered,
            spans.length,
            requests,
            'server spans exported',
          ),
          controlAnswered,
        };
      } finally {
        throwFromHandlers();
        await control.close();
        await server.close();
        await telemetry.shutdown();
      }
    },
  },
  {
    id: 'huge-exception',
    defect: 'an error with a 10 MB message gave a ~20 MB exception event per request',
    async run(target, requests) {
      const telemetry = createTelemetry();
      const server = await target.start(telemetry.options);
      const message = 'm'.repeat(10 * 1024 * 1024);
      throwFromHandlers(() => new Error(message));
      try {
        const answered = await requestUsers(server.url, requests);
        const spans = serverSpans(await telemetry.waitForSpans(requests, 3_000));
        const oversized = spans.filter((span) =>
          span.events.some(
            (event) =>
              event.name === 'exception' &&
              String(event.attributes?.['exception.message'] ?? '').length +
                String(event.attributes?.['exception.stacktrace'] ?? '').length >
                EXCEPTION_TEXT_LIMIT,
          ),
        ).length;
        return result(target, this, requests, answered, oversized, 0, 'oversized exception events');
      } finally {
        throwFromHandlers();
        await server.close();
        await telemetry.shutdown();
      }
    },
  },
  {
    id: 'startup-span',
    defect: 'a server started inside a span made every request without traceparent its child',
    async run(target, requests) {
      const telemetry = createTelemetry();
      const boot = telemetry.tracerProvider.getTracer('app').startSpan('boot');
      const server = await context.with(trace.setSpan(context.active(), boot), () =>
        target.start(telemetry.options),
      );
      try {
        const answered = await requestUsers(server.url, requests);
        const spans = serverSpans(await telemetry.waitForSpans(requests, 3_000));
        const bootTrace = boot.spanContext().traceId;
        const joined = spans.filter((s) => s.spanContext().traceId === bootTrace).length;
        return result(target, this, requests, answered, joined, 0, 'requests in the startup trace');
      } finally {
        boot.end();
        await server.close();
        await telemetry.shutdown();
      }
    },
  },
  {
    id: 'metrics-only-startup-span',
    defect: 'with tracing: false, the first request renamed, annotated and ended the startup span',
    async run(target, requests) {
      const telemetry = createTelemetry();
      const boot = telemetry.tracerProvider.getTracer('app').startSpan('boot');
      const bootContext = propagation.setBaggage(
        trace.setSpan(context.active(), boot),
        propagation.createBaggage({ startup: { value: '1' } }),
      );
      const server = await context.with(bootContext, () =>
        target.start({ ...telemetry.options, tracing: false }),
      );
      try {
        const answered = await requestUsers(server.url, requests);
        await new Promise((resolve) => setTimeout(resolve, 100));
        // Each of these is the library touching a span it did not start.
        let touched = telemetry.spans().length; // ended before the application ended it
        boot.end();
        const [exported] = await telemetry.waitForSpans(1, 1_000);
        if (exported?.name !== 'boot') touched++;
        touched += Object.keys(exported?.attributes ?? {}).length;
        return result(target, this, requests, answered, touched, 0, 'changes to the startup span');
      } finally {
        await server.close();
        await telemetry.shutdown();
      }
    },
  },
  {
    id: 'host-two-ports',
    defect: 'Host: host.example:80:81 was recorded as server.address=host.example:80:81',
    async run(target, requests) {
      const telemetry = createTelemetry();
      const server = await target.start(telemetry.options);
      try {
        let answered = 0;
        for (let i = 0; i < requests; i++) {
          const host = i % 2 === 0 ? 'host.example:80:81' : 'host.example:0';
          const reply = await rawExchange(
            server.port,
            `GET /users/${i} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
          );
          if (reply.status !== undefined) answered++;
        }
        const spans = serverSpans(await telemetry.waitForSpans(answered, 3_000));
        const recorded = spans.filter(
          (s) => s.attributes['server.address'] !== undefined || s.attributes['server.port'] === 0,
        ).length;
        return result(target, this, requests, answered, recorded, 0, 'invalid hosts recorded');
      } finally {
        await server.close();
        await telemetry.shutdown();
      }
    },
  },
];

function result(
  target: Target,
  finding: SecondPassFinding,
  requests: number,
  answered: number,
  observed: number,
  expected: number,
  unit: string,
): FindingResult {
  return { target: target.name, finding: finding.id, requests, answered, observed, expected, unit };
}

/** Runs every finding against one target. */
export async function runSecondPass(target: Target, requests: number): Promise<FindingResult[]> {
  const results: FindingResult[] = [];
  for (const finding of SECOND_PASS) {
    if (finding.skip?.(target) === undefined) results.push(await finding.run(target, requests));
  }
  return results;
}
