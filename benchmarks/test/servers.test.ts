// Real benchmark servers, started the way the harness starts them: each framework in `bare` and
// `otel-http` mode, a few requests, then the counts the server reports over its control channel.
// The servers import the built packages: run `pnpm build` first.

import { afterAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, GO_FRAMEWORKS, GO_MODES, MODE_TRAITS, REQUEST_PATH } from '../src/matrix.mjs';
import {
  buildGoServer,
  type LoadGenerator,
  type ServerProcess,
  startGoServer,
  startLoadGenerator,
  startServer,
} from '../src/processes.mjs';
import { measureCell, runMatrix } from '../src/runner.mjs';
import { rejectionReasons } from '../src/validate.mjs';

const REQUESTS = 25;
const started: ServerProcess[] = [];
let load: LoadGenerator | undefined;

afterAll(async () => {
  await Promise.all(started.map((server) => server.stop()));
  await load?.stop();
});

async function start(framework: string, mode: string): Promise<ServerProcess> {
  const server = await startServer({ node: process.execPath, framework, mode });
  started.push(server);
  return server;
}

describe.concurrent.each(FRAMEWORKS)('%s server', (framework) => {
  it('answers the route in bare mode and reports no telemetry', async () => {
    const server = await start(framework, 'bare');
    for (let i = 0; i < REQUESTS; i++) {
      const response = await fetch(`http://127.0.0.1:${server.port}${REQUEST_PATH}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: '42' });
    }
    expect(await server.counts()).toEqual({
      handled: REQUESTS,
      spans: { server: 0, other: 0 },
      durationPoints: 0,
    });
  });

  it('reports one exported SERVER span and one duration per request in otel-http mode', async () => {
    const server = await start(framework, 'otel-http');
    const before = await server.counts();
    for (let i = 0; i < REQUESTS; i++) {
      const response = await fetch(`http://127.0.0.1:${server.port}${REQUEST_PATH}`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const after = await server.counts();
    expect(after.handled - before.handled).toBe(REQUESTS);
    expect(after.spans.server - before.spans.server).toBe(REQUESTS);
    expect(after.durationPoints - before.durationPoints).toBe(REQUESTS);
    expect(server.node).toBe(process.version);
  });

  it("records only the official instrumentation's metrics in official-metrics mode", async () => {
    const server = await start(framework, 'official-metrics');
    const before = await server.counts();
    for (let i = 0; i < REQUESTS; i++) {
      const response = await fetch(`http://127.0.0.1:${server.port}${REQUEST_PATH}`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const after = await server.counts();
    expect(after.handled - before.handled).toBe(REQUESTS);
    expect(after.spans.server - before.spans.server).toBe(0);
    expect(after.durationPoints - before.durationPoints).toBe(REQUESTS);
  });

  it('reports the bytes allocated per request and the resident set size of a window', async () => {
    const server = await start(framework, 'metrics');
    await server.openMemoryWindow?.();
    for (let i = 0; i < REQUESTS; i++) {
      const response = await fetch(`http://127.0.0.1:${server.port}${REQUEST_PATH}`);
      await response.arrayBuffer();
    }
    const memory = await server.closeMemoryWindow?.();
    // A request allocates at least its parsed head and its response (a few KiB), and less than
    // a few hundred KiB.
    expect(memory?.allocatedBytesPerRequest).toBeGreaterThan(1024);
    expect(memory?.allocatedBytesPerRequest).toBeLessThan(512 * 1024);
    expect(memory?.rssBytes).toBeGreaterThan(16 * 1024 * 1024);
  });
});

// The Go reference rows. Go is optional on a user's machine (the rows are skipped, and these tests
// with them); CI sets OTEL_HTTP_REQUIRE_GO=1, so that there they must run.
const goRequired = ['1', 'true'].includes(process.env.OTEL_HTTP_REQUIRE_GO ?? '');
const goBuild = buildGoServer();
if (goRequired && goBuild.binary === undefined) {
  throw new Error(`OTEL_HTTP_REQUIRE_GO is set and the Go server cannot be built: ${goBuild.note}`);
}
const goBinary = goBuild.binary;

describe.skipIf(goBinary === undefined).each(GO_FRAMEWORKS)('Go %s server', (framework) => {
  it.each(GO_MODES)('answers the route in %s mode and reports its telemetry', async (mode) => {
    const server = await startGoServer({ binary: goBinary as string, framework, mode });
    started.push(server);
    expect(server.node).toMatch(/^go1\./);
    const before = await server.counts();
    for (let i = 0; i < REQUESTS; i++) {
      const response = await fetch(`http://127.0.0.1:${server.port}${REQUEST_PATH}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id: '42', name: 'User 42', roles: ['reader'] });
    }
    const after = await server.counts();
    expect(after.handled - before.handled).toBe(REQUESTS);
    const traits = MODE_TRAITS[mode];
    const spans = after.spans.server - before.spans.server;
    if (traits.sampleRatio === 1) expect(spans).toBe(REQUESTS);
    else if (traits.sampleRatio === 0) expect(spans).toBe(0);
    else expect(spans).toBeLessThan(REQUESTS);
    expect(after.durationPoints - before.durationPoints).toBe(traits.metrics ? REQUESTS : 0);
    await server.stop();
  });

  it('is measured by the harness like a Node cell, and accepted', async () => {
    load ??= await startLoadGenerator({ cpu: undefined });
    const { run, serverNode } = await measureCell(
      { framework, mode: 'instrumented', round: 0, position: 0, attempt: 1 },
      {
        node: process.execPath,
        frameworks: [framework],
        modes: ['bare'],
        rounds: 1,
        warmupSeconds: 0,
        durationSeconds: 0.5,
        connections: 4,
        serverCpu: undefined,
        goServer: goBinary,
      },
      load,
    );
    expect(run.rejected).toEqual([]);
    expect(run.requests).toBeGreaterThan(0);
    expect(run.spans.server).toBeGreaterThanOrEqual(run.requests - 4);
    expect(run.cpuPerRequestUs).toBeGreaterThan(0);
    expect(serverNode).toMatch(/^go1\./);
  });
});

describe('a measured cell', () => {
  it('is accepted when the traced server exported its spans, with CPU time per request', async () => {
    load = await startLoadGenerator({ cpu: undefined });
    const { run } = await measureCell(
      { framework: 'express', mode: 'otel-http', round: 0, position: 0, attempt: 1 },
      {
        node: process.execPath,
        frameworks: ['express'],
        modes: ['otel-http'],
        rounds: 1,
        warmupSeconds: 0,
        durationSeconds: 0.5,
        connections: 4,
        serverCpu: undefined,
      },
      load,
    );
    expect(run.rejected).toEqual([]);
    expect(run.requests).toBeGreaterThan(0);
    expect(run.spans.server).toBeGreaterThanOrEqual(run.requests - 4);
    expect(run.cpuPerRequestUs).toBeGreaterThan(0);
    expect(Number.isFinite(run.cpuPerRequestUs)).toBe(true);
  });

  it('is rejected when the load generator saw errors', async () => {
    load ??= await startLoadGenerator({ cpu: undefined });
    // Nothing listens on a port a closed server just released: every connection fails.
    const server = await start('express', 'bare');
    const url = `http://127.0.0.1:${server.port}${REQUEST_PATH}`;
    await server.stop();
    const result = await load.run({ url, connections: 2, durationSeconds: 0.3 });
    expect(result.errors).toBeGreaterThan(0);
    const reasons = rejectionReasons(
      {
        mode: 'bare',
        requests: result.requests,
        errors: result.errors,
        non2xx: result.non2xx,
        handled: 0,
        spans: { server: 0, other: 0 },
        durationPoints: 0,
      },
      2,
    );
    expect(reasons.join('\n')).toMatch(/connection errors/);
  });

  it('is recorded as rejected, and measured once more, when its server cannot start', async () => {
    load ??= await startLoadGenerator({ cpu: undefined });
    const { runs } = await runMatrix(
      {
        node: '/nonexistent/node',
        frameworks: ['koa'],
        modes: ['bare'],
        rounds: 1,
        warmupSeconds: 0,
        durationSeconds: 0.2,
        connections: 1,
        serverCpu: undefined,
      },
      load,
    );
    expect(runs.map((run) => run.attempt)).toEqual([1, 2]);
    for (const run of runs) expect(run.rejected.join()).toMatch(/^not measured: /);
  });
});
