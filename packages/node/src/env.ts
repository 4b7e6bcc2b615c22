/**
 * Strict readers of `OTEL_*` environment variables. An empty value counts as unset (as the
 * specification says); any other value that cannot be used throws a {@link TelemetryConfigError}
 * naming the variable and the value, so that a typo never turns into a silent default.
 */
import { TelemetryConfigError } from './errors.js';

/** The environment configuration is read from (normally `process.env`). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The trimmed value, or `undefined` when unset or blank. */
export function readVar(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** `true` / `false` in any case; anything else is an error (`1` and `yes` included). */
export function readBoolean(env: Env, name: string): boolean | undefined {
  const value = readVar(env, name);
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new TelemetryConfigError(name, value, 'expected true or false');
}

/** A whole number written in decimal digits, within `[min, max]`. */
export function readInteger(env: Env, name: string, min: number, max: number): number | undefined {
  const value = readVar(env, name);
  if (value === undefined) return undefined;
  return parseInteger(name, value, min, max);
}

/** Shared by environment variables and options given as text. */
export function parseInteger(setting: string, text: string, min: number, max: number): number {
  const number = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new TelemetryConfigError(setting, text, `expected a whole number from ${min} to ${max}`);
  }
  return number;
}

/**
 * A comma-separated list of names, lower-cased and de-duplicated, each one of `allowed`.
 * `explain` may give a better message for a known but unsupported name; `none` may only stand alone.
 */
export function readNameList<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  explain: (entry: string) => string | undefined = () => undefined,
): T[] | undefined {
  const value = readVar(env, name);
  if (value === undefined) return undefined;
  const entries = value
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  if (entries.length === 0) {
    throw new TelemetryConfigError(
      name,
      value,
      `expected a comma-separated list of ${allowed.join(', ')}`,
    );
  }
  const names: T[] = [];
  for (const entry of entries) {
    if (!(allowed as readonly string[]).includes(entry)) {
      throw new TelemetryConfigError(
        name,
        value,
        explain(entry) ?? `"${entry}" is not one of ${allowed.join(', ')}`,
      );
    }
    if (!names.includes(entry as T)) names.push(entry as T);
  }
  if (names.length > 1 && names.includes('none' as T)) {
    throw new TelemetryConfigError(name, value, '"none" cannot be combined with other names');
  }
  return names;
}

/**
 * A `key=value,key2=value2` list as `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`
 * use it (W3C Baggage octets): blanks around entries are ignored, keys and values are
 * percent-decoded. An entry without `=`, with an empty key, or with a broken percent escape makes
 * the whole value invalid — the specification says to discard it rather than keep a part.
 */
export function parseKeyValueList(setting: string, value: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const rawEntry of value.split(',')) {
    const entry = rawEntry.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const key = eq === -1 ? '' : decode(setting, value, entry.slice(0, eq).trim());
    if (key === '') {
      throw new TelemetryConfigError(setting, value, `entry "${entry}" is not key=value`);
    }
    result[key] = decode(setting, value, entry.slice(eq + 1).trim());
  }
  return result;
}

function decode(setting: string, whole: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TelemetryConfigError(setting, whole, `"${text}" has a broken percent-encoding`);
  }
}

/** An absolute `http:` or `https:` URL. */
export function parseHttpUrl(setting: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TelemetryConfigError(setting, value, 'expected an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TelemetryConfigError(setting, value, 'expected an absolute http:// or https:// URL');
  }
  return url;
}
