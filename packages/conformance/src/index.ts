import { afterAll, beforeAll, describe, it } from 'vitest';
import { CHECKS } from './checks/index.js';
import type { Check } from './checks/types.js';
import type { AdapterHarness } from './harness.js';
import { ResultsTable } from './results.js';
import { firstLine, runCheckOn } from './run-check.js';
import { CheckTelemetry, registerGlobals } from './telemetry.js';

export { type EventStreamHarness, runEventStreamSuite } from './event-stream-suite.js';
export type { AdapterHarness, ConformanceServer } from './harness.js';
export {
  HTTP2_CHECK_IDS,
  type Http2AdapterHarness,
  type Http2Tls,
  type Http2Transport,
  runHttp2Conformance,
  whenHttp2Listening,
} from './http2.js';
export {
  type CancellableHttp2Request,
  type Http2RequestInit,
  type Http2Response,
  http2Request,
  startHttp2Request,
} from './http2-client.js';
export { type CheckOutcome, ResultsTable } from './results.js';
export { BoomError, FailError, type Probe, probe, ROUTES, sleep } from './routes.js';
export { whenListening } from './server.js';
export { CheckTelemetry, registerGlobals } from './telemetry.js';
export { TEST_ONLY_TLS } from './tls-fixture.js';
export { type WaitOptions, waitFor } from './wait.js';
export {
  CHAT_MAX_PAYLOAD,
  runWebSocketSuite,
  serveWsChat,
  WEBSOCKET_CHECKS,
  type WebSocketHarness,
  type WsUpgradeAdapter,
} from './websocket-suite.js';

/** The ids of all checks, in table order: the keys `AdapterHarness.exceptions` may use. */
export const CHECK_IDS: readonly string[] = CHECKS.map((check) => check.id);

/** How long a server may take to close after a check before the suite moves on. */

/**
 * Declares the conformance suite for one adapter as Vitest tests: one `it` per check, each with
 * its own tracer and meter providers (passed through the options, nothing global) and its own
 * server from `harness.start`. While the suite runs it registers the async-hooks context manager
 * and the W3C trace-context + baggage propagator globally, and unregisters them afterwards. When
 * all checks are done it prints the results table with `console.log`.
 *
 * Call it at the top level of a test file.
 */
export function runConformance(harness: AdapterHarness, options: ConformanceOptions = {}): void {
  const exceptions = harness.exceptions ?? {};
  for (const id of Object.keys(exceptions)) {
    if (!CHECK_IDS.includes(id)) throw new Error(`exceptions names an unknown check: ${id}`);
  }
  const table = new ResultsTable(harness.name);

  const producer = options.redMetricProducer === true;
  describe(`otel-http conformance: ${harness.name}${producer ? PRODUCER_SUFFIX : ''}`, () => {
    let unregisterGlobals: (() => void) | undefined;
    beforeAll(() => {
      unregisterGlobals = registerGlobals();
    });
    afterAll(() => {
      unregisterGlobals?.();
      console.log(table.format());
    });

    for (const check of CHECKS) {
      table.declare(check.id);
      it(`${check.id}: ${check.title}`, async () => {
        table.start(check.id);
        const exception = exceptions[check.id];
        try {
          await runCheck(harness, check, producer);
        } catch (error) {
          if (exception !== undefined) {
            table.report(check.id, 'exception', exception);
            return;
          }
          table.report(check.id, 'fail', firstLine(error));
          throw error;
        }
        table.report(check.id, 'pass', exception && 'listed as an exception, but passes');
      });
    }
  });
}

/** How {@link runConformance} runs the suite. */
export interface ConformanceOptions {
  /**
   * Every check with the RED metrics recorded by otel-http's `RedMetricProducer` on the reader
   * instead of the API instruments: the same assertions hold on either path. The suite's title
   * then ends with ` (RED metrics from RedMetricProducer)`.
   */
  readonly redMetricProducer?: boolean;
}

const PRODUCER_SUFFIX = ' (RED metrics from RedMetricProducer)';

async function runCheck(harness: AdapterHarness, check: Check, producer: boolean): Promise<void> {
  const sampler = check.sampler?.();
  const telemetry = new CheckTelemetry(sampler, { redMetricProducer: producer });
  const server = await harness.start({
    ignore: '/health',
    ...check.options,
    tracerProvider: telemetry.tracerProvider,
    meterProvider: telemetry.meterProvider,
  });
  await runCheckOn(check, server, telemetry, sampler);
}
