import type { Hono } from 'hono';
import { listen } from './server.js';

/** An app opened on one runtime: requests go through it exactly as that runtime delivers them. */
export interface OpenApp {
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** The part of a Hono app, whatever its `Env`, that runtimes call. */
export type RunnableApp = Pick<Hono, 'fetch' | 'request'>;

/** How a Hono app is run in these tests. */
export interface Runtime {
  readonly name: string;
  open(app: RunnableApp): Promise<OpenApp>;
}

/**
 * Fetch API only: `app.request()`, no server, no `c.env` — the path Bun, Deno and Workers take.
 */
export const fetchOnly: Runtime = {
  name: 'fetch only (app.request)',
  open: async (app) => ({
    request: async (path, init) => app.request(path, init),
    close: async () => {},
  }),
};

/** `@hono/node-server` on a loopback port, requests sent with the global `fetch`. */
export const nodeServer: Runtime = {
  name: 'node (@hono/node-server)',
  open: async (app) => {
    const running = await listen(app);
    return {
      request: (path, init) => fetch(`${running.url}${path}`, init),
      close: () => running.close(),
    };
  },
};

export const runtimes = [fetchOnly, nodeServer] as const;
