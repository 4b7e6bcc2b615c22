import { sleep } from './routes.js';

/** Bounds for {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this many milliseconds. Default 3000. */
  timeoutMs?: number;
  /** Pause between two looks, in milliseconds. Default 5. */
  intervalMs?: number;
}

/**
 * Polls `look` until it returns something other than `undefined`, and returns that. Telemetry is
 * exported asynchronously (a span ends on the response's `close`, which can come after the client
 * already has the body), so the checks wait for it instead of sleeping a fixed time.
 *
 * @param what - Named in the error when the wait times out.
 * @throws Error when `timeoutMs` passes first; the last value `look` threw, if any, is its cause.
 */
export async function waitFor<T>(
  what: string,
  look: () => T | undefined | Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await look();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
