import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../src/client.js';
import { type RunningServer, STREAM, TARGETS } from '../src/targets.js';
import { createTelemetry, type Telemetry } from '../src/telemetry.js';

// The scenario application itself: if it misbehaves, every other result in this package is noise.
describe.each(TARGETS)('the scenario app on $name', (target) => {
  let telemetry: Telemetry;
  let server: RunningServer;

  beforeAll(async () => {
    telemetry = createTelemetry();
    server = await target.start(telemetry.options);
  });
  afterAll(async () => {
    await server.close();
    await telemetry.shutdown();
  });

  it('answers every route and records one span per request with its route', async () => {
    const user = await send(`${server.url}/users/7`);
    expect(user.status).toBe(200);
    expect(JSON.parse(user.body)).toMatchObject({ id: '7', recording: true });
    const stream = await send(`${server.url}/stream`);
    expect(stream.body).toBe(
      Array.from({ length: STREAM.chunks }, (_, i) => STREAM.chunk(i)).join(''),
    );
    expect((await send(`${server.url}/slow`)).status).toBe(200);
    const upload = await send(`${server.url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(1000, 1),
    });
    expect(JSON.parse(upload.body)).toEqual({ bytes: 1000 });
    expect((await send(`${server.url}/nowhere`)).status).toBe(404);

    const spans = await telemetry.waitForSpans(5);
    expect(spans.map((span) => span.name).sort()).toEqual(
      ['GET', 'GET /slow', 'GET /stream', 'GET /users/:id', 'POST /upload'].sort(),
    );
  });
});
