import { createLogger } from '@otel-http/core';

/** This package's diagnostic logger (`diag`, namespace `@otel-http/hono`). */
export const logger = createLogger('@otel-http/hono');
