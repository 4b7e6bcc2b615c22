// The `official` mode: the OpenTelemetry instrumentation a user would pick instead of otel-http,
// with its default options, on the same SDK setup. Module-patching instrumentations see only
// modules loaded after they are registered, so this runs before the application module loads its
// framework (with `require`, which they hook).

import { createRequire } from 'node:module';
import { ProxyTracerProvider } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';

const require = createRequire(import.meta.url);

/**
 * What an application needs from its official instrumentation after registration.
 *
 * @typedef {object} OfficialInstrumentation
 * @property {unknown} [fastifyPlugin] The `@fastify/otel` plugin, to register on the application.
 */

/**
 * With `tracing: false` (the `official-metrics` mode) the instrumentations get a tracer provider
 * that never delegates, so every tracer they ask for is the API's no-op tracer: they run their
 * whole request path and record their metrics, and no span is made — what a user who turns
 * tracing off for them has (Go's `instrumented-metrics` rows do the same).
 *
 * @param {import('../matrix.mjs').Framework} framework
 * @param {{ tracing: boolean }} options
 * @returns {OfficialInstrumentation}
 */
export function registerOfficialInstrumentation(framework, { tracing }) {
  // `@hono/otel` is a middleware the application adds; it patches nothing.
  if (framework === 'hono') return {};
  const tracerProvider = tracing ? undefined : new ProxyTracerProvider();

  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  if (framework === 'express') {
    const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
    registerInstrumentations({
      tracerProvider,
      instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()],
    });
    return {};
  }
  if (framework === 'koa') {
    const { KoaInstrumentation } = require('@opentelemetry/instrumentation-koa');
    registerInstrumentations({
      tracerProvider,
      instrumentations: [new HttpInstrumentation(), new KoaInstrumentation()],
    });
    return {};
  }
  const { FastifyOtelInstrumentation } = require('@fastify/otel');
  const fastifyOtel = new FastifyOtelInstrumentation();
  registerInstrumentations({
    tracerProvider,
    instrumentations: [new HttpInstrumentation(), fastifyOtel],
  });
  return { fastifyPlugin: fastifyOtel.plugin() };
}
