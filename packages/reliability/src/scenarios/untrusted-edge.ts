/**
 * Untrusted edge: with `trustRemoteContext: false`, a caller's `traceparent` with the sampled flag
 * must not force sampling past a ratio-0 root sampler, its trace id must not be continued, and its
 * baggage must not reach the handler. The same requests to a trusting server are the control:
 * there the flag does decide (parent-based sampling), so the check can fail.
 */
import { Agent } from 'node:http';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { OtelHttpOptions } from '@otel-http/core';
import { pool, send } from '../client.js';
import type { Probe } from '../probe.js';
import { randomText, seededRandom } from '../random.js';
import type { Target } from '../targets.js';
import { createTelemetry, METRIC, recordDiagnostics } from '../telemetry.js';

export interface EdgeResult {
  target: string;
  trust: string;
  requests: number;
  /** Handlers that saw a sampled / recording span. */
  sampledInHandler: number;
  /** Handlers that saw the caller's trace id. */
  continuedCallerTrace: number;
  /** Handlers that saw the caller's baggage. */
  sawCallerBaggage: number;
  /** Spans exported. */
  exported: number;
  /** Response `traceparent` headers with the sampled flag set. */
  sampledResponseHeaders: number;
  /** Requests measured by `http.server.request.duration` (recorded whatever the sampler says). */
  measured: number;
  /** Exported spans that carry a link to the caller's span context. */
  linkedToCaller: number;
  diagnostics: number;
}

export interface EdgeOptions {
  trust: OtelHttpOptions['trustRemoteContext'];
  trustLabel: string;
  requests: number;
  /** Root sampler; default ParentBased(root: TraceIdRatio(0)). */
  sampler?: Sampler;
}

/** Sends `requests` requests, each claiming a random sampled caller trace, with baggage. */
export async function runUntrustedEdge(target: Target, options: EdgeOptions): Promise<EdgeResult> {
  const sampler =
    options.sampler ?? new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) });
  const telemetry = createTelemetry({ sampler });
  const diagnostics = recordDiagnostics();
  const server = await target.start({
    ...telemetry.options,
    ...(options.trust === undefined ? {} : { trustRemoteContext: options.trust }),
    traceResponseHeader: 'traceparent',
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const random = seededRandom(3);
  const callers = Array.from({ length: options.requests }, () => ({
    traceId: randomText(random, '0123456789abcdef', 32),
    spanId: randomText(random, '0123456789abcdef', 16),
  }));
  const result: EdgeResult = {
    target: target.name,
    trust: options.trustLabel,
    requests: options.requests,
    sampledInHandler: 0,
    continuedCallerTrace: 0,
    sawCallerBaggage: 0,
    exported: 0,
    sampledResponseHeaders: 0,
    measured: 0,
    linkedToCaller: 0,
    diagnostics: 0,
  };
  try {
    await pool(options.requests, 16, async (i) => {
      const caller = callers[i] as (typeof callers)[number];
      const reply = await send(`${server.url}/users/${i}`, {
        agent,
        headers: {
          traceparent: `00-${caller.traceId}-${caller.spanId}-01`,
          tracestate: 'attacker=1',
          baggage: 'tenant=evil,role=admin',
        },
      });
      if (reply.status !== 200) throw new Error(`status ${reply.status}`);
      const seen = JSON.parse(reply.body) as Probe;
      if (seen.sampled || seen.recording) result.sampledInHandler++;
      if (seen.traceId === caller.traceId) result.continuedCallerTrace++;
      if (Object.keys(seen.baggage).length > 0) result.sawCallerBaggage++;
      const header = reply.headers.traceparent;
      if (typeof header === 'string' && header.endsWith('-01')) result.sampledResponseHeaders++;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const spans = telemetry.spans();
    result.exported = spans.length;
    const callerSpans = new Set(callers.map((c) => `${c.traceId}-${c.spanId}`));
    result.linkedToCaller = spans.filter((span) =>
      span.links.some((link) => callerSpans.has(`${link.context.traceId}-${link.context.spanId}`)),
    ).length;
    const points = await telemetry.points(METRIC.duration);
    result.measured = points.reduce((sum, p) => sum + (p.value as { count: number }).count, 0);
    result.diagnostics = diagnostics.logger.messages.length;
    return result;
  } finally {
    diagnostics.restore();
    agent.destroy();
    await server.close();
    await telemetry.shutdown();
  }
}
