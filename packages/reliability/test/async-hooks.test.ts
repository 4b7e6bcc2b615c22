import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { send } from '../src/client.js';
import { TARGETS } from '../src/targets.js';
import { createTelemetry, recordDiagnostics } from '../src/telemetry.js';

/**
 * Hooks are typed `=> void`, and TypeScript accepts an `async` function there. When such a hook
 * rejects, the rejection must be contained like a throw: reported to the diagnostic logger, not
 * left unhandled (Node's default for an unhandled rejection is to end the process).
 *
 * The test runner treats any unhandled rejection as a failure of the whole run, so its listeners
 * are set aside while these requests run and ours counts them instead.
 */
let unhandled: unknown[] = [];
let saved: NodeJS.UnhandledRejectionListener[] = [];
const count: NodeJS.UnhandledRejectionListener = (reason) => {
  unhandled.push(reason);
};

beforeEach(() => {
  unhandled = [];
  saved = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', count);
});
afterEach(async () => {
  // Rejections are reported after the microtask queue drains: let that happen first.
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.off('unhandledRejection', count);
  for (const listener of saved) process.on('unhandledRejection', listener);
});

const rejecting = async () => {
  throw new Error('async hook failed');
};

describe('a hook that returns a rejected promise', () => {
  // Hooks are not awaited (the request never waits for telemetry), but a rejection is reported
  // to the diagnostic logger by core's `callSafely` rather than left unhandled.
  it.each(TARGETS.map((t) => [t.name, t] as const))(
    '%s: is contained and reported',
    async (_name, target) => {
      const telemetry = createTelemetry();
      const diagnostics = recordDiagnostics();
      const server = await target.start({
        ...telemetry.options,
        requestHook: rejecting,
        responseHook: rejecting,
      });
      try {
        for (let i = 0; i < 3; i++) {
          const reply = await send(`${server.url}/users/${i}`);
          expect(reply.status).toBe(200);
        }
        await telemetry.waitForSpans(3);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(unhandled).toEqual([]);
        expect(diagnostics.logger.find('async hook failed').length).toBeGreaterThanOrEqual(6);
      } finally {
        diagnostics.restore();
        await server.close();
        await telemetry.shutdown();
      }
    },
  );
});
