/**
 * Re-measures, at volume, defects this suite found (since fixed): the report shows whether they
 * are back, and how large.
 */
import { Agent } from 'node:http';
import { pool, send } from '../client.js';
import type { Target } from '../targets.js';
import { createTelemetry, METRIC, recordDiagnostics } from '../telemetry.js';

export interface FindingResult {
  target: string;
  finding: string;
  requests: number;
  /** Requests answered (any status). */
  answered: number;
  /** What should be `requests` (or 0, per `expected`) and is not when the defect is present. */
  observed: number;
  expected: number;
  unit: string;
  /** Requests answered by the same application without telemetry, where that is the yardstick. */
  controlAnswered?: number;
}

/** Requests with a path whose percent-encoding is broken: each must be one span and one measurement. */
export async function malformedPathRequests(
  target: Target,
  requests: number,
): Promise<FindingResult> {
  const telemetry = createTelemetry();
  const server = await target.start(telemetry.options);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  try {
    const run = await pool(requests, 16, (i) => send(`${server.url}/files/%zz${i}`, { agent }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const points = await telemetry.points(METRIC.duration);
    return {
      target: target.name,
      finding: 'malformed percent-encoding in the path',
      requests,
      answered: run.results.filter((r) => r.value !== undefined).length,
      observed: points.reduce((sum, p) => sum + (p.value as { count: number }).count, 0),
      expected: requests,
      unit: 'requests measured',
    };
  } finally {
    agent.destroy();
    await server.close();
    await telemetry.shutdown();
  }
}

/**
 * Async `requestHook`/`responseHook` that reject: counts the unhandled rejections they cause. Run
 * it in a process of its own: the listener installed here keeps Node from exiting on them.
 */
export async function rejectingAsyncHooks(
  target: Target,
  requests: number,
): Promise<FindingResult> {
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', listener);
  const telemetry = createTelemetry();
  const diagnostics = recordDiagnostics();
  const rejecting = async () => {
    throw new Error('async hook failed');
  };
  const server = await target.start({
    ...telemetry.options,
    requestHook: rejecting,
    responseHook: rejecting,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  try {
    const run = await pool(requests, 16, (i) => send(`${server.url}/users/${i}`, { agent }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    return {
      target: target.name,
      finding: 'async hooks that reject',
      requests,
      answered: run.results.filter((r) => r.value?.status === 200).length,
      observed: unhandled.length,
      expected: 0,
      unit: 'unhandled rejections',
    };
  } finally {
    process.off('unhandledRejection', listener);
    diagnostics.restore();
    agent.destroy();
    await server.close();
    await telemetry.shutdown();
  }
}
