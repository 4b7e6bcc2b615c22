import { context, propagation, trace } from '@opentelemetry/api';

/** Timings and payloads of the standard route table, shared by every adapter's implementation. */
export const ROUTES = {
  /** Mount prefix of the nested router / sub-app. */
  mount: '/api/v1',
  /** Mount path, with a parameter, of the second nested router / sub-app. */
  paramMount: '/orgs/:orgId',
  stream: {
    /** Number of server-sent events `/stream` writes. */
    events: 3,
    /** Delay before each event, in milliseconds. */
    intervalMs: 50,
    /** The SSE frame for event `i` (0-based). */
    frame: (i: number) => `data: event-${i}\n\n`,
  },
  slow: { delayMs: 400 },
  created: { status: 201 },
  bad: { status: 400 },
  serverError: { status: 503 },
} as const;

/** Thrown synchronously by `GET /api/v1/boom`. */
export class BoomError extends Error {
  override name = 'BoomError';
}

/** Rejected by the async handler of `GET /fail`. */
export class FailError extends Error {
  override name = 'FailError';
}

/** What a handler saw of the telemetry context: adapters put it into their JSON responses. */
export interface Probe {
  traceId: string | undefined;
  spanId: string | undefined;
  baggage: Record<string, string>;
}

/**
 * Reads the active span and baggage from inside a handler, so that the suite can check over HTTP
 * that the handler ran in the server span's context. Call it synchronously in the handler.
 */
export function probe(): Probe {
  const active = context.active();
  const spanContext = trace.getSpan(active)?.spanContext();
  const baggage: Record<string, string> = {};
  for (const [key, entry] of propagation.getBaggage(active)?.getAllEntries() ?? []) {
    baggage[key] = entry.value;
  }
  return { traceId: spanContext?.traceId, spanId: spanContext?.spanId, baggage };
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
