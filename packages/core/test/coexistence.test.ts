import { once } from 'node:events';
import type * as Http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { context, SpanKind } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServerInstrumentation } from '../src/index.js';
import { startNodeRequest } from '../src/node.js';
import { createTelemetry, registerGlobals } from './harness.js';

// Rule 9: with @opentelemetry/instrumentation-http active, we enrich its SERVER span instead of
// starting a second one, and leave the duration metric to it.
let restoreGlobals: () => void;
let instrumentation: HttpInstrumentation;
const telemetry = createTelemetry();
const previousOptIn = process.env.OTEL_SEMCONV_STABILITY_OPT_IN;

beforeAll(() => {
  restoreGlobals = registerGlobals();
  process.env.OTEL_SEMCONV_STABILITY_OPT_IN = 'http';
  instrumentation = new HttpInstrumentation();
  instrumentation.setTracerProvider(telemetry.tracerProvider);
  instrumentation.setMeterProvider(telemetry.meterProvider);
  instrumentation.enable();
});

afterAll(() => {
  instrumentation.disable();
  if (previousOptIn === undefined) delete process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
  else process.env.OTEL_SEMCONV_STABILITY_OPT_IN = previousOptIn;
  restoreGlobals();
});

it('enriches the span of instrumentation-http and does not count the duration twice', async () => {
  // Loaded through require so that instrumentation-http's module hook patches it.
  const http = createRequire(import.meta.url)('node:http') as typeof Http;
  const ours = createServerInstrumentation(telemetry);
  const server = http.createServer((req, res) => {
    const handle = startNodeRequest(ours, req, res);
    context.with(handle?.context ?? context.active(), () => {
      handle?.setRoute('/users/:id');
      handle?.recordError(new RangeError('boom'));
      res.statusCode = 500;
      res.end('failed');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/users/7`);
    expect(response.status).toBe(500);
    await telemetry.waitForSpans(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const servers = telemetry.spans().filter((span) => span.kind === SpanKind.SERVER);
    expect(servers).toHaveLength(1);
    const [span] = servers;
    expect(span?.instrumentationScope.name).toBe('@opentelemetry/instrumentation-http');
    expect(span?.name).toBe('GET /users/:id');
    expect(span?.attributes['http.route']).toBe('/users/:id');
    expect(span?.events.some((event) => event.name === 'exception')).toBe(true);

    const durations = (await telemetry.scopeMetrics()).flatMap((scope) =>
      scope.metrics.filter((metric) => metric.descriptor.name === 'http.server.request.duration'),
    );
    const points = durations.flatMap(
      (metric) => [...metric.dataPoints] as Array<{ attributes: Record<string, unknown> }>,
    );
    expect(points).toHaveLength(1);
    expect(points[0]?.attributes['http.route']).toBe('/users/:id');
  } finally {
    server.close();
  }
});
