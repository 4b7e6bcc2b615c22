/**
 * The OpenMetrics 1.0 text exposition of a collection, for a scraper that asks for it: the same
 * metric families, sample names and labels as the SDK's Prometheus text output (its naming rules,
 * its scope labels and `target_info`), plus what only OpenMetrics can carry — exemplars on the
 * histogram buckets, which link a latency bucket to a trace — and the closing `# EOF`.
 */
import {
  DataPointType,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { logger } from './diag.js';

export const OPENMETRICS_CONTENT_TYPE =
  'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** An exemplar as data points from the RED producer carry it (the data model's `Exemplar`). */
interface Exemplar {
  readonly value: number;
  readonly timestamp: readonly [number, number];
  readonly traceId?: string;
  readonly spanId?: string;
  readonly filteredAttributes?: Readonly<Record<string, unknown>>;
}

/**
 * Whether the `Accept` header prefers OpenMetrics 1.0 to the Prometheus text format: an
 * `application/openmetrics-text` range (version 1.0.0 or none) with a quality at least that of
 * every `text/plain` and wildcard range. Prometheus asks this way by default.
 */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let openMetrics = 0;
  let other = 0;
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    let quality = 1;
    let version: string | undefined;
    for (const parameter of parameters) {
      const equals = parameter.indexOf('=');
      const name = parameter.slice(0, equals).trim();
      const value = parameter.slice(equals + 1).trim();
      if (name === 'q') quality = Number(value);
      else if (name === 'version') version = value;
    }
    if (!(quality > 0)) continue;
    if (type === 'application/openmetrics-text') {
      if (version === undefined || version === '1.0.0')
        openMetrics = Math.max(openMetrics, quality);
    } else if (type === 'text/plain' || type === 'text/*' || type === '*/*') {
      other = Math.max(other, quality);
    }
  }
  return openMetrics > 0 && openMetrics >= other;
}

// The SDK serializer's rules, so that every sample is named and labelled as in its text output.
const escapeHelp = (text: string) =>
  text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeForName = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const sanitize = (name: string) => name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
const labelValue = (value: unknown) =>
  escapeForName(typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).replace(
    /"/g,
    '\\"',
  );

function number(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}

function labels(
  attributes: Readonly<Record<string, unknown>>,
  extra: Readonly<Record<string, unknown>>,
): string {
  let text = '';
  for (const set of [attributes, extra]) {
    for (const [key, value] of Object.entries(set)) {
      text += `${text === '' ? '' : ','}${sanitize(key)}="${labelValue(value)}"`;
    }
  }
  return text === '' ? '' : `{${text}}`;
}

interface Family {
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly samples: string[];
}

/** The OpenMetrics text of `resourceMetrics`, ending with `# EOF`. */
export function serializeOpenMetrics(resourceMetrics: ResourceMetrics): string {
  const families = new Map<string, Family>();
  for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
    const scopeLabels: Record<string, string> = { 'otel.scope.name': scope.name };
    if (scope.schemaUrl) scopeLabels['otel.scope.schema_url'] = scope.schemaUrl;
    if (scope.version) scopeLabels['otel.scope.version'] = scope.version;
    for (const metric of metrics) addMetric(families, metric, scopeLabels);
  }
  let text =
    '# TYPE target info\n# HELP target Target metadata\n' +
    `target_info${labels(resourceMetrics.resource.attributes, {})} 1\n`;
  for (const [name, family] of families) {
    text += `# TYPE ${name} ${family.type}\n# HELP ${name} ${family.help}\n`;
    text += family.samples.join('');
  }
  return `${text}# EOF\n`;
}

function addMetric(
  families: Map<string, Family>,
  metric: MetricData,
  scopeLabels: Readonly<Record<string, string>>,
): void {
  let name = sanitize(escapeForName(metric.descriptor.name));
  if (name === '' || name === '_') return; // the SDK's text output leaves it out too
  if (name[0] !== undefined && name[0] >= '0' && name[0] <= '9') name = `_${name}`;
  let type: Family['type'];
  let sampleName = name;
  if (metric.dataPointType === DataPointType.SUM && metric.isMonotonic) {
    type = 'counter';
    // The SDK names the samples `<name>_total`; the OpenMetrics family is `<name>`.
    if (name.endsWith('_total')) name = name.slice(0, -'_total'.length);
    sampleName = `${name}_total`;
  } else if (metric.dataPointType === DataPointType.SUM) type = 'gauge';
  else if (metric.dataPointType === DataPointType.GAUGE) type = 'gauge';
  else if (metric.dataPointType === DataPointType.HISTOGRAM) type = 'histogram';
  else return; // exponential histograms: no series in the text output either
  let family = families.get(name);
  if (family === undefined) {
    family = {
      type,
      help: escapeHelp(metric.descriptor.description || 'description missing'),
      samples: [],
    };
    families.set(name, family);
  } else if (family.type !== type) {
    logger.warn(
      `OpenMetrics: "${metric.descriptor.name}" of scope ${scopeLabels['otel.scope.name']} is a ${type}, ` +
        `but a ${family.type} of that name was already written; its points are left out`,
    );
    return;
  }
  if (metric.dataPointType !== DataPointType.HISTOGRAM) {
    for (const point of metric.dataPoints) {
      family.samples.push(
        `${sampleName}${labels(point.attributes, scopeLabels)} ${number(point.value as number)}\n`,
      );
    }
    return;
  }
  for (const point of metric.dataPoints) {
    const histogram = point.value as Histogram;
    const { boundaries, counts } = histogram.buckets;
    const exemplars = exemplarsByBucket(
      (point as { exemplars?: readonly Exemplar[] }).exemplars,
      boundaries,
    );
    let cumulative = 0;
    for (const [i, count] of counts.entries()) {
      cumulative += count;
      const bound = boundaries[i];
      const le = bound === undefined || bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound);
      const exemplar = exemplars?.[i];
      family.samples.push(
        `${name}_bucket${labels(point.attributes, { ...scopeLabels, le })} ${cumulative}` +
          `${exemplar === undefined ? '' : exemplarText(exemplar)}\n`,
      );
      if (bound === Number.POSITIVE_INFINITY) break;
    }
    const at = labels(point.attributes, scopeLabels);
    family.samples.push(`${name}_count${at} ${histogram.count}\n`);
    if (histogram.sum !== undefined)
      family.samples.push(`${name}_sum${at} ${number(histogram.sum)}\n`);
  }
}

/** Each exemplar under the bucket its value falls in (upper-inclusive), the last one winning. */
function exemplarsByBucket(
  exemplars: readonly Exemplar[] | undefined,
  boundaries: readonly number[],
): Array<Exemplar | undefined> | undefined {
  if (exemplars === undefined || exemplars.length === 0) return undefined;
  const byBucket: Array<Exemplar | undefined> = [];
  for (const exemplar of exemplars) {
    let index = boundaries.findIndex((bound) => exemplar.value <= bound);
    if (index === -1) index = boundaries.length;
    byBucket[index] = exemplar;
  }
  return byBucket;
}

/**
 * ` # {trace_id="…",span_id="…"} <value> <seconds>`. OpenMetrics caps an exemplar's label set at
 * 128 characters: the ids take 48 of them, and other filtered attributes are left out.
 */
function exemplarText(exemplar: Exemplar): string {
  const ids: string[] = [];
  if (exemplar.traceId) ids.push(`trace_id="${labelValue(exemplar.traceId)}"`);
  if (exemplar.spanId) ids.push(`span_id="${labelValue(exemplar.spanId)}"`);
  const [seconds, nanos] = exemplar.timestamp;
  const time = `${seconds}.${String(nanos).padStart(9, '0')}`;
  return ` # {${ids.join(',')}} ${number(exemplar.value)} ${time}`;
}
