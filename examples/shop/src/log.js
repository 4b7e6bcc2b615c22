import { pinoTraceMixin } from '@otel-http/node';
import pino from 'pino';

/**
 * JSON log lines on standard output, named after the example and labelled with its framework.
 * Written inside a request, a line carries the `trace_id`, `span_id` and `trace_flags` of the
 * active span (the server span, or a child of it), so that a log line leads to its trace.
 * `LOG_LEVEL` sets the level (`silent` for none).
 *
 * @param {import('./types.js').ExampleSettings} settings
 * @returns {import('pino').Logger}
 */
export function createLog({ SERVICE_NAME, FRAMEWORK }) {
  return pino({
    name: SERVICE_NAME,
    level: process.env.LOG_LEVEL || 'info',
    base: { framework: FRAMEWORK },
    mixin: pinoTraceMixin,
  });
}
