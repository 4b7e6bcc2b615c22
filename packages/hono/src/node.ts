/**
 * `@otel-http/hono/node`: what only runs under `@hono/node-server`. Kept out of the main entry so
 * that a Hono project for Workers, Bun or Deno type-checks without `@types/node`.
 *
 * With `@hono/node-ws`, call `traceWebSocket(ws.raw, { route: '/chat' })` in `onOpen` — or wrap its
 * `upgradeWebSocket` with `traceUpgradeWebSocket` of the main entry, as on every runtime.
 */
export {
  traceWebSocket,
  type WebSocketSession,
  type WebSocketSessionOptions,
} from '@otel-http/core/node';
