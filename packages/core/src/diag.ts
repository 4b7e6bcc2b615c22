import { diag } from '@opentelemetry/api';

/** The diagnostic logger of this package: every contained failure is reported here. */
export const logger = diag.createComponentLogger({ namespace: '@otel-http/core' });

/**
 * Runs user-supplied code (hooks, predicates, overrides) so that a throw never reaches the
 * request: the failure is reported through the diagnostic logger and `fallback` is returned.
 */
export function callSafely<T>(what: string, fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (error) {
    logger.error(`${what} threw; the request continues without it`, error);
    return fallback;
  }
}
