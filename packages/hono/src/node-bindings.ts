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

/**
 * Copies the response headers listed for capture from Hono's response onto the raw one before
 * `@hono/node-server` writes it. The server hands all headers to `writeHead` at once, which leaves
 * them invisible to `getHeader`, where the Node ending reads them; `writeHead` still sends its own
 * values, so what the client receives does not change.
 */
export function stageCapturedHeaders(
  outgoing: NodeBindings['outgoing'],
  headers: Headers,
  names: readonly string[],
): void {
  if (names.length === 0 || outgoing.headersSent) return;
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null) outgoing.setHeader(name, value);
  }
}
