/**
 * The part of Bun's and Deno's globals the runners use, and which of the two is running them.
 * Declared here rather than from the runtimes' type packages, which would clash with Node's.
 */

export interface BunGlobal {
  readonly version: string;
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request, server: unknown) => Response | Promise<Response>;
    websocket?: unknown;
  }): { port: number; stop(closeActiveConnections?: boolean): Promise<void> };
}

export interface DenoGlobal {
  readonly version: { deno: string };
  serve(
    options: { hostname: string; port: number; signal: AbortSignal; onListen?: () => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): { addr: { port: number }; finished: Promise<void> };
}

const globals = globalThis as { Bun?: BunGlobal; Deno?: DenoGlobal };

/** Bun's global, on Bun. */
export const Bun = globals.Bun as BunGlobal;
/** Deno's global, on Deno. */
export const Deno = globals.Deno as DenoGlobal;

/** The runtime executing the runner. */
export const runtime: 'bun' | 'deno' | 'node' =
  globals.Bun !== undefined ? 'bun' : globals.Deno !== undefined ? 'deno' : 'node';
