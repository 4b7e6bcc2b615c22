import type { ReadableSpan, Sampler } from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';
import type { ConformanceServer } from '../harness.js';
import { sleep } from '../routes.js';
import type { CheckTelemetry } from '../telemetry.js';
import { type WaitOptions, waitFor } from '../wait.js';

/** The `user-agent` the suite's `fetch` requests send unless a check sets another. */
export const CLIENT_USER_AGENT = 'otel-http-conformance/1.0';

/**
 * How long to keep looking after the expected spans arrived, to catch a duplicate. Spans are
 * exported from the response's `close`, well within this on loopback.
 */
const SETTLE_MS = 30;

/** A response with its body read. */
export interface ReadResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** What a running check works with: the adapter's server and this check's own SDK. */
export class CheckContext {
  /** The port the adapter's server listens on. */
  readonly port: number;

  constructor(
    readonly server: ConformanceServer,
    readonly telemetry: CheckTelemetry,
    /** The sampler the check asked for, if any. */
    readonly sampler: Sampler | undefined,
  ) {
    this.port = Number(new URL(server.url).port);
  }

  /** `server.url` + `path`. */
  url(path: string): string {
    return `${this.server.url}${path}`;
  }

  /** Sends a request with global `fetch` and reads the whole body. */
  async request(path: string, init: RequestInit = {}): Promise<ReadResponse> {
    const headers = new Headers(init.headers);
    if (!headers.has('user-agent')) headers.set('user-agent', CLIENT_USER_AGENT);
    const response = await fetch(this.url(path), { ...init, headers });
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  }

  /**
   * Waits until exactly `count` SERVER spans were exported (looking a little longer to catch a
   * duplicate) and returns them in export order.
   */
  async serverSpans(count: number, options?: WaitOptions): Promise<ReadableSpan[]> {
    await waitFor(
      `${count} SERVER span(s)`,
      () => (this.telemetry.serverSpans().length >= count ? true : undefined),
      options,
    );
    await sleep(SETTLE_MS);
    const spans = this.telemetry.serverSpans();
    expect(spans.map(describeSpan), 'SERVER spans exported').toHaveLength(count);
    return spans;
  }

  /** Waits for the one SERVER span of the single request the check sent. */
  async serverSpan(options?: WaitOptions): Promise<ReadableSpan> {
    const [span] = await this.serverSpans(1, options);
    return span as ReadableSpan;
  }
}

/** A short description of a span for assertion messages. */
export function describeSpan(span: ReadableSpan): string {
  return `${span.name} [${span.spanContext().spanId}]`;
}

/** Milliseconds of an exported span's duration. */
export function spanDurationMs(span: ReadableSpan): number {
  const [seconds, nanos] = span.duration;
  return seconds * 1e3 + nanos / 1e6;
}
