declare const __OTEL_HTTP_CORE_VERSION__: string | undefined;

/** Name and version this package reports as its instrumentation scope. */
export const SCOPE_NAME = '@otel-http/core';
/**
 * The `version` of this package's package.json, put in by the build (tsup `define`) and by the
 * workspace's Vitest projects; `0.0.0-dev` only when the sources run some other way.
 */
export const SCOPE_VERSION: string =
  typeof __OTEL_HTTP_CORE_VERSION__ === 'string' ? __OTEL_HTTP_CORE_VERSION__ : '0.0.0-dev';
