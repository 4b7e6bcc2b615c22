/**
 * Thrown by `startTelemetry` when an option or an environment variable has a value it cannot use.
 * Startup stops rather than running with a configuration nobody asked for.
 */
export class TelemetryConfigError extends Error {
  /** The environment variable (`OTEL_TRACES_SAMPLER`) or option (`options.samplingRatio`). */
  readonly setting: string;
  /** The rejected value, as given. */
  readonly value: string;

  constructor(setting: string, value: unknown, expected: string) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    super(`${setting}=${shown} is not valid: ${expected}`);
    this.name = 'TelemetryConfigError';
    this.setting = setting;
    this.value = typeof value === 'string' ? value : String(value);
  }
}
