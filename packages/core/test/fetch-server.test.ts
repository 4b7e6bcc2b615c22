import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endFetchRequest, startFetchRequest } from '../src/fetch-server.js';
import { createServerInstrumentation } from '../src/index.js';
import { createTelemetry, registerGlobals } from './harness.js';

let restoreGlobals: () => void;
beforeAll(() => {
  restoreGlobals = registerGlobals();
});
afterAll(() => restoreGlobals());

describe('the Fetch start/end pair', () => {
  it('adds the trace header in place, appending to Server-Timing', async () => {
    const t = createTelemetry();
    const instrumentation = createServerInstrumentation({
      ...t,
      traceResponseHeader: 'server-timing',
    });
    const handle = startFetchRequest(instrumentation, new Request('http://localhost/a'));
    const response = new Response('body', { headers: { 'server-timing': 'db;dur=5' } });
    const sent = endFetchRequest(handle!, response);
    expect(await sent.text()).toBe('body');
    const [span] = await t.waitForSpans(1);
    const { traceId, spanId } = span!.spanContext();
    expect(sent.headers.get('server-timing')).toBe(
      `db;dur=5, trace;desc=00-${traceId}-${spanId}-01`,
    );
  });

  it('puts the header on a copy installed through replace when the headers are immutable', async () => {
    const t = createTelemetry();
    const instrumentation = createServerInstrumentation({
      ...t,
      traceResponseHeader: 'traceparent',
    });
    const handle = startFetchRequest(instrumentation, new Request('http://localhost/a'));
    const installed: Response[] = [];
    const sent = endFetchRequest(handle!, Response.redirect('http://localhost/b', 302), {
      replace: (copy) => {
        installed.push(copy);
        return copy;
      },
    });
    expect(installed).toHaveLength(1);
    expect(sent.status).toBe(302);
    expect(sent.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(await t.waitForSpans(1)).toHaveLength(1);
  });

  it('ends a HEAD request at once, without the body the GET handler made', async () => {
    const t = createTelemetry();
    const instrumentation = createServerInstrumentation(t);
    const handle = startFetchRequest(
      instrumentation,
      new Request('http://localhost/a', { method: 'HEAD' }),
    );
    const sent = endFetchRequest(handle!, new Response('unread body'), { method: 'HEAD' });
    expect(sent.body).toBeNull();
    expect(handle?.ended).toBe(true);
    expect((await t.waitForSpans(1))[0]?.attributes['http.response.status_code']).toBe(200);
  });

  it('ends the request as aborted when its signal aborts before any response', async () => {
    const t = createTelemetry();
    const instrumentation = createServerInstrumentation(t);
    const controller = new AbortController();
    const handle = startFetchRequest(
      instrumentation,
      new Request('http://localhost/a', { signal: controller.signal }),
    );
    controller.abort();
    const [span] = await t.waitForSpans(1);
    expect(handle?.ended).toBe(true);
    expect(span?.attributes['error.type']).toBe('aborted');
    expect(span?.attributes['http.response.status_code']).toBeUndefined();
  });
});
