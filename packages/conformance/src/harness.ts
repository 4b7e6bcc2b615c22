import type { OtelHttpOptions } from '@otel-http/core';

/** A server an adapter started for the suite, listening on a loopback port. */
export interface ConformanceServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Stops the server and releases the port. */
  close(): Promise<void>;
}

/**
 * What an adapter hands the suite. `start` builds the standard route table natively in its
 * framework, with the adapter's middleware/plugin installed first using exactly `options`, and
 * listens on `127.0.0.1` port 0.
 *
 * The standard route table (see `ROUTES` for the timings and bodies):
 * - `GET /users/:id` → 200, JSON `{ id, ...probe() }`
 * - `POST /users` → 201, JSON
 * - a nested router / sub-app mounted at `/api/v1` with `GET /items/:itemId` (200 JSON) and
 *   `GET /boom` (throws `BoomError`)
 * - a nested router / sub-app mounted at `/orgs/:orgId` with `GET /projects/:projectId` → 200,
 *   JSON `{ orgId, projectId }` (both parameters)
 * - `GET /fail` → an async handler that rejects with `FailError`
 * - `GET /bad` → 400 (a plain response, nothing thrown)
 * - `GET /server-error` → 503 without throwing
 * - `GET /stream` → `text/event-stream`, `ROUTES.stream.events` events `ROUTES.stream.intervalMs` apart
 * - `GET /slow` → 200 after `ROUTES.slow.delayMs`
 * - `GET /health` → 200 (the suite passes `ignore` so that it is not recorded)
 * - anything else → the framework's own 404
 * Unhandled errors are left to the framework's default error handling (which answers 500).
 */
export interface AdapterHarness {
  /** Name printed in the results table, e.g. `express`. */
  readonly name: string;
  start(options: OtelHttpOptions): Promise<ConformanceServer>;
  /**
   * Checks this framework cannot pass, by check id, each with the reason. The suite still runs
   * them and reports them as exceptions in the table. Keep it empty.
   */
  readonly exceptions?: Readonly<Record<string, string>>;
}
