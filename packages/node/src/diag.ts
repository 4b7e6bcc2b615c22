import { diag } from '@opentelemetry/api';

/** The diagnostic logger of this package. */
export const logger = diag.createComponentLogger({ namespace: '@otel-http/node' });

/** A message for any thrown value, without throwing. */
export function describeError(error: unknown): string {
  try {
    if (error instanceof Error) return error.message || error.name;
    return String(error);
  } catch {
    return 'unknown error';
  }
}
