import type { FetchConnectionInfo } from '@otel-http/core';
import type { endOnUpgradeResponse, startNodeRequest } from '@otel-http/core/node';

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
 * The socket of an upgrade request `@hono/node-ws` hands the app (`c.env.incoming` without an
 * `outgoing`: the handshake response is written on the socket, not through Hono's response).
 */
export function nodeUpgradeSocket(
  env: unknown,
): Parameters<typeof endOnUpgradeResponse>[1] | undefined {
  if (typeof env !== 'object' || env === null) return undefined;
  const { incoming, outgoing } = env as { incoming?: unknown; outgoing?: unknown };
  if (outgoing !== undefined || !isEmitter(incoming)) return undefined;
  const socket = (incoming as { socket?: unknown }).socket;
  return isEmitter(socket) && typeof (socket as { write?: unknown }).write === 'function'
    ? (socket as Parameters<typeof endOnUpgradeResponse>[1])
    : undefined;
}

/**
 * What the raw request of an `@hono/node-ws` upgrade tells about the connection, which the Fetch
 * `Request` Hono is handed for it does not: the HTTP version and the peer, as on any request
 * `@hono/node-server` serves. `undefined` when `env` is not such an upgrade.
 */
export function nodeUpgradeConnection(env: unknown): FetchConnectionInfo | undefined {
  const socket = nodeUpgradeSocket(env);
  if (socket === undefined) return undefined;
  const { incoming } = env as { incoming: { httpVersion?: unknown } };
  const { remoteAddress, remotePort } = socket as { remoteAddress?: unknown; remotePort?: unknown };
  return {
    protocolVersion: typeof incoming.httpVersion === 'string' ? incoming.httpVersion : undefined,
    peerAddress: typeof remoteAddress === 'string' ? remoteAddress : undefined,
    peerPort: typeof remotePort === 'number' ? remotePort : undefined,
  };
}
