import type { startNodeRequest } from '@otel-http/core/node';

/** The raw Node request and response `@hono/node-server` passes to the app as its `env`. */
export interface NodeBindings {
  readonly incoming: Parameters<typeof startNodeRequest>[1];
  readonly outgoing: Parameters<typeof startNodeRequest>[2];
}

const isEmitter = (value: unknown): value is { on: unknown; once: unknown } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { on?: unknown }).on === 'function' &&
  typeof (value as { once?: unknown }).once === 'function';

/**
 * The raw request and response when the app runs under `@hono/node-server` (`c.env.incoming`,
 * `c.env.outgoing`); `undefined` on every other runtime, where `c.env` holds platform bindings
 * (Workers) or nothing. Checked by shape, so the package never loads a `node:` module.
 */
export function nodeBindings(env: unknown): NodeBindings | undefined {
  if (typeof env !== 'object' || env === null) return undefined;
  const { incoming, outgoing } = env as { incoming?: unknown; outgoing?: unknown };
  if (!isEmitter(incoming) || !isEmitter(outgoing)) return undefined;
  if (typeof (outgoing as { writeHead?: unknown }).writeHead !== 'function') return undefined;
  return { incoming, outgoing } as NodeBindings;
}
