import { diag } from '@opentelemetry/api';

const componentLogger = diag.createComponentLogger({ namespace: '@otel-http/core' });

/**
 * The diagnostic logger of this package: every contained failure is reported here. A logger
 * registered by the application that throws itself is ignored, so that reporting a problem can
 * never become one for the request.
 */
export const logger = {
  error: (message: string, ...args: unknown[]) => report('error', message, args),
  warn: (message: string, ...args: unknown[]) => report('warn', message, args),
  debug: (message: string, ...args: unknown[]) => report('debug', message, args),
};

function report(level: 'error' | 'warn' | 'debug', message: string, args: unknown[]): void {
  try {
    componentLogger[level](message, ...args);
  } catch {
    // nothing left to tell it to
  }
}

/**
 * Runs user-supplied code (hooks, predicates, overrides) so that a failure never reaches the
 * request: a throw is reported through the diagnostic logger and `fallback` is returned. An async
 * hook's rejection is reported the same way instead of being left unhandled (which would end a
 * Node process by default); its result is not awaited.
 */
export function callSafely<T>(what: string, fn: () => T, fallback: T): T {
  try {
    const result = fn();
    if (isThenable(result)) {
      result.then(undefined, (error: unknown) =>
        logger.error(`${what} rejected; the request continued without it`, error),
      );
    }
    return result;
  } catch (error) {
    logger.error(`${what} threw; the request continues without it`, error);
    return fallback;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  try {
    return (
      (typeof value === 'object' || typeof value === 'function') &&
      value !== null &&
      typeof (value as { then?: unknown }).then === 'function'
    );
  } catch {
    return false;
  }
}
