import { createLogger } from '@otel-http/core';

/** This package's diagnostic logger (`diag`, namespace `@otel-http/express`). */
export const logger = createLogger('@otel-http/express');
