import { diag } from '@opentelemetry/api';

/** A diagnostic logger that can never become a problem for the request it reports on. */
export interface ComponentLogger {
  error(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
}

/**
 * The OpenTelemetry diagnostic logger (`diag`) under a package's namespace (`@otel-http/hono`), for
 * every contained failure. A logger registered by the application that throws itself is ignored.
 */
export function createLogger(namespace: string): ComponentLogger {
  const component = diag.createComponentLogger({ namespace });
  const report = (level: 'error' | 'warn' | 'debug', message: string, args: unknown[]) => {
    try {
      component[level](message, ...args);
    } catch {
      // nothing left to tell it to
    }
  };
  return {
    error: (message, ...args) => report('error', message, args),
    warn: (message, ...args) => report('warn', message, args),
    debug: (message, ...args) => report('debug', message, args),
  };
}

/** The diagnostic logger of this package. */
export const logger: ComponentLogger = createLogger('@otel-http/core');

/**
 * Runs user-supplied code (hooks, predicates, overrides) so that a failure never reaches the
 * request: a throw is reported through `log` and `fallback` is returned. An async function's
 * rejection is reported the same way instead of being left unhandled (which would end a Node
 * process by default); its result is not awaited.
 */
export function callSafely<T>(
  what: string,
  fn: () => T,
  fallback: T,
  log: ComponentLogger = logger,
): T {
  try {
    const result = fn();
    if (isThenable(result)) {
      result.then(undefined, (error: unknown) =>
        log.error(`${what} rejected; the request continued without it`, error),
      );
    }
    return result;
  } catch (error) {
    log.error(`${what} threw; the request continues without it`, error);
    return fallback;
  }
}

/** Whether `value` is a promise-like, without throwing whatever its getters do. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
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
