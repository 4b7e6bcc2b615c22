import { CheckContext } from './checks/context.js';
import type { Check } from './checks/types.js';
import type { ConformanceServer } from './harness.js';
import { sleep } from './routes.js';
import type { CheckTelemetry } from './telemetry.js';

/** How long a check's server may take to close before the run goes on without it. */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * Runs one check against a server started for it, then closes the server (giving up after
 * {@link CLOSE_TIMEOUT_MS}, with a warning) and shuts the check's SDK down, whatever happened.
 */
export async function runCheckOn(
  check: Check,
  server: ConformanceServer,
  telemetry: CheckTelemetry,
  sampler?: ConstructorParameters<typeof CheckContext>[2],
): Promise<void> {
  try {
    await check.run(new CheckContext(server, telemetry, sampler));
  } finally {
    const closed = await Promise.race([
      server.close().then(() => true),
      sleep(CLOSE_TIMEOUT_MS).then(() => false),
    ]);
    if (!closed)
      console.warn(`${check.id}: the server did not close within ${CLOSE_TIMEOUT_MS} ms`);
    await telemetry.shutdown();
  }
}

/** The first line of an error's message, cut for a results table cell. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? '').slice(0, 120);
}
