import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '@otel-http/conformance';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildWorker } from '../src/build.js';
import { requireRuntime, scratchDir } from '../src/runtimes.js';

const workerd = requireRuntime('workerd');
const SERVER = 1; // the SDK's SpanKind.SERVER
const CALLER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN_ID = 'b7ad6b7169203331';

interface WorkerSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  status: { code: number };
}

/** A port free a moment ago: workerd listens on the address its config names. */
async function freePort(): Promise<number> {
  const probe = createTcpServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function config(port: number, receiver: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local", "private"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [(name = "RECEIVER", text = "${receiver}")],
  globalOutbound = "loopback",
);
`;
}

// A Hono app with otel() under the real workerd, spans flushed from ctx.waitUntil to a receiver
// in this test, as the Hono README's Workers section sets it up.
describe.skipIf(!workerd.found)(
  `Hono on Cloudflare ${workerd.found ? workerd.version : 'workerd'} (nodejs_compat)`,
  () => {
    let receiver: Server;
    const spans: WorkerSpan[] = [];
    let child: ChildProcess;
    let url: string;
    let output = '';

    beforeAll(async () => {
      if (!workerd.found) return;
      receiver = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          spans.push(...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkerSpan[]));
          response.end();
        });
      });
      receiver.listen(0, '127.0.0.1');
      await once(receiver, 'listening');
      const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/spans`;
      const dir = scratchDir('workerd');
      await buildWorker(join(dir, 'worker.mjs'));
      const port = await freePort();
      writeFileSync(join(dir, 'config.capnp'), config(port, receiverUrl));
      child = spawn(workerd.path, ['serve', join(dir, 'config.capnp')], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      url = `http://127.0.0.1:${port}`;
      await waitFor(
        `workerd listening on ${url}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`workerd exited:\n${output}`);
          await fetch(`${url}/ready`).then((response) => response.text());
          return true;
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${output}`);
      });
    });
    afterAll(() => {
      child?.kill('SIGKILL');
      receiver?.close();
    });
    beforeEach(() => {
      spans.length = 0;
    });

    async function serverSpanOf(path: string): Promise<WorkerSpan> {
      // By path: the span of the readiness probe may still arrive.
      const ofPath = () =>
        spans.filter((span) => span.kind === SERVER && span.attributes['url.path'] === path);
      const span = await waitFor(`the SERVER span of ${path}`, () => ofPath()[0]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(ofPath()).toHaveLength(1);
      return span;
    }

    it('names the span by the route, in the trace of the incoming traceparent', async () => {
      const response = await fetch(`${url}/users/42`, {
        headers: { traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id: '42' });
      const span = await serverSpanOf('/users/42');
      expect(span.name).toBe('GET /users/:id');
      expect(span.attributes['http.route']).toBe('/users/:id');
      expect(span.attributes['http.response.status_code']).toBe(200);
      expect(span.traceId).toBe(CALLER_TRACE_ID);
      expect(span.parentSpanId).toBe(CALLER_SPAN_ID);
    });

    it('a mounted sub-app: the full template', async () => {
      const response = await fetch(`${url}/api/v1/items/7`);
      expect(response.status).toBe(200);
      await response.text();
      const span = await serverSpanOf('/api/v1/items/7');
      expect(span.name).toBe('GET /api/v1/items/:itemId');
      expect(span.attributes['http.route']).toBe('/api/v1/items/:itemId');
    });

    it('a thrown error: 500, ERROR, error.type its class', async () => {
      const response = await fetch(`${url}/boom`);
      expect(response.status).toBe(500);
      await response.text();
      const span = await serverSpanOf('/boom');
      expect(span.name).toBe('GET /boom');
      expect(span.attributes['http.response.status_code']).toBe(500);
      expect(span.attributes['error.type']).toBe('TypeError');
      expect(span.status.code).toBe(2);
    });

    it('an unknown path: 404 named by the method, no http.route', async () => {
      const response = await fetch(`${url}/nowhere`);
      expect(response.status).toBe(404);
      await response.text();
      const span = await serverSpanOf('/nowhere');
      expect(span.name).toBe('GET');
      expect(span.attributes).not.toHaveProperty(['http.route']);
    });

    it('a streamed body: the span ends, and is flushed, after its last chunk', async () => {
      const response = await fetch(`${url}/stream`);
      const body = await response.text();
      expect(body.match(/^data: /gm)).toHaveLength(3);
      const span = await serverSpanOf('/stream');
      expect(span.name).toBe('GET /stream');
      expect(span.attributes['http.response.status_code']).toBe(200);
      expect(span.attributes).not.toHaveProperty(['error.type']);
    });
  },
);
