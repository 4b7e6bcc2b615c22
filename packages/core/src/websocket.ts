/**
 * WebSocket sessions on Node (`ws`, which `@fastify/websocket` and `@hono/node-ws` use too): the
 * handshake request is an ordinary server span answered `101`, and the connection gets a span of
 * its own, from the upgrade to the close, with message counts and bytes each way, the close code
 * and reason, and capped message events. Listeners of the socket run in the connection's context,
 * so that the spans a message handler starts join the trace.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { context } from '@opentelemetry/api';
import { logger } from './diag.js';
import { createServerInstrumentation } from './lifecycle.js';
import { bindEmitterToContext, requestInfoFromNode } from './node.js';
import type { OtelHttpOptions, RequestHandle } from './types.js';
import {
  startWebSocketSession,
  type WebSocketSession,
  type WebSocketSessionOptions,
} from './websocket-session.js';

export {
  WEBSOCKET_ATTRIBUTES,
  type WebSocketSession,
  type WebSocketSessionOptions,
} from './websocket-session.js';

/** What is used of a `ws` WebSocket: an event emitter with `send` and `close`. */
export interface WebSocketLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  send(data: unknown, ...rest: unknown[]): void;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/**
 * Traces the connection of `socket` until it closes. Call it when the socket opens, in the
 * handshake request's context (a `ws` `connection` listener, `@fastify/websocket`'s handler,
 * Hono's `onOpen`): the connection span is a child of the handshake's server span, and ends with
 * the close. A handshake request still open in that context is ended there, with status 101.
 * Each socket is traced once; a second call returns the first session.
 */
export function traceWebSocket(
  socket: WebSocketLike,
  options: WebSocketSessionOptions = {},
): WebSocketSession {
  const traced = socket as WebSocketLike & { [kSession]?: WebSocketSession };
  const existing = traced[kSession];
  if (existing !== undefined) return existing;

  // The socket is open, so the handshake was answered 101. Stacks that route the upgrade through
  // the framework (`@fastify/websocket`) answer on a response that never closes: ending the
  // handshake there is what ends its span and gives back its place in active_requests.
  const recorder = startWebSocketSession(options);
  const session: WebSocketSession = { span: recorder.span, context: recorder.context };
  traced[kSession] = session;

  socket.on('message', ((data: unknown, isBinary: unknown) => {
    recorder.message('received', data, isBinary === true);
  }) as (...args: never[]) => void);

  const send = socket.send;
  socket.send = function tracedSend(this: WebSocketLike, data: unknown, ...rest: unknown[]) {
    const binary = typeof data !== 'string' && !(isOptions(rest[0]) && rest[0].binary === false);
    recorder.message('sent', data, binary);
    return send.call(this, data, ...rest);
  };

  // A socket error ('Max payload size exceeded', an invalid frame) is noted where it is emitted,
  // not by a listener of ours: a socket without an error listener behaves as it would without
  // telemetry.
  const emit = socket.emit;
  socket.emit = function tracedEmit(
    this: WebSocketLike,
    event: string | symbol,
    ...args: unknown[]
  ) {
    if (event === 'error') recorder.error(args[0]);
    return emit.call(this, event, ...args);
  };

  socket.on('close', ((code: unknown, reason: unknown) => {
    recorder.close(code, reason);
  }) as (...args: never[]) => void);

  // Added after ours, so that a handler sees the counts with its own message included.
  bindEmitterToContext(socket, recorder.context);
  return session;
}

const kSession = Symbol('@otel-http/core websocket session');

/** Options of {@link upgradeListener}: core's options, and the route of the upgrade requests. */
export interface UpgradeOptions extends OtelHttpOptions {
  /** The route template of the upgrade request (`/chat`), or how to find it from the request. */
  readonly upgradeRoute?: string | ((request: IncomingMessage) => string | undefined);
}

/** A Node server's `upgrade` listener. */
export type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Wraps a Node server's `upgrade` listener (where `ws`'s `handleUpgrade` is called for Express and
 * Koa, whose routers never see an upgrade) so that the handshake gets its server span, like any
 * request: `GET /chat`, with the status the listener answers (`101` once `ws` accepts, `401` when
 * it refuses), ended when that status line is written, or as aborted when the socket closes
 * without one. `listener` runs in the handshake's context, so `traceWebSocket` started from it
 * makes the connection span its child. `http.server.active_requests` is raised only until the
 * handshake ends, never for the connection's lifetime.
 */
export function upgradeListener(
  options: UpgradeOptions,
  listener: UpgradeListener,
): UpgradeListener {
  const { upgradeRoute, ...rest } = options;
  const instrumentation = createServerInstrumentation(rest);
  return (request, socket, head) => {
    let handle: RequestHandle | undefined;
    try {
      handle = instrumentation.start(requestInfoFromNode(request));
      const route = typeof upgradeRoute === 'function' ? upgradeRoute(request) : upgradeRoute;
      if (handle !== undefined && typeof route === 'string') handle.setRoute(route);
    } catch (error) {
      logger.error(
        'starting the telemetry of an upgrade request failed; it is not recorded',
        error,
      );
      handle = undefined;
    }
    if (handle === undefined) {
      listener(request, socket, head);
      return;
    }
    endOnUpgradeResponse(handle, socket);
    context.with(handle.context, () => {
      try {
        listener(request, socket, head);
      } catch (error) {
        handle?.recordError(error);
        throw error;
      }
    });
  };
}

/**
 * Ends the handshake `handle` with the status of the first response line written to `socket`
 * (`101` when `ws` accepts). When the socket closes with none written, it ends with
 * `refusedStatus` if that is not a success (a refusal written another way), else as aborted.
 * For adapters whose upgrade stack writes the handshake response on the socket itself
 * (`@hono/node-ws`).
 */
export function endOnUpgradeResponse(
  handle: RequestHandle,
  socket: Duplex,
  refusedStatus?: number,
): void {
  const write = socket.write;
  const restore = () => {
    if (socket.write === tracedWrite) socket.write = write;
  };
  const tracedWrite = function (this: Duplex, chunk: unknown, ...rest: unknown[]) {
    restore();
    const head =
      typeof chunk === 'string'
        ? chunk.slice(0, 16)
        : Buffer.isBuffer(chunk)
          ? chunk.toString('latin1', 0, 16)
          : '';
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    handle.end(match ? { statusCode: Number(match[1]) } : { aborted: true });
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Duplex['write'];
  socket.write = tracedWrite;
  socket.once('close', () => {
    restore();
    const refused = typeof refusedStatus === 'number' && refusedStatus >= 300;
    handle.end(refused ? { statusCode: refusedStatus } : { aborted: true });
  });
}

function isOptions(value: unknown): value is { binary?: boolean } {
  return typeof value === 'object' && value !== null;
}
