declare const __OTEL_HTTP_CORE_VERSION__: string | undefined;

/** Name and version this package reports as its instrumentation scope. */
export const SCOPE_NAME = '@otel-http/core';
/** Replaced with the package version at build time; `0.0.0-dev` when running from source. */
export const SCOPE_VERSION: string =
  typeof __OTEL_HTTP_CORE_VERSION__ === 'string' ? __OTEL_HTTP_CORE_VERSION__ : '0.0.0-dev';
