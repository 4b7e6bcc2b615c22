/**
 * OTLP metrics with exemplars. The SDK's OTLP serializer writes every field of a histogram point
 * but its exemplars (its own aggregations keep none). This exporter sends the SDK's encoding
 * unchanged and adds, to each histogram point that carries exemplars (the RED producer's duration
 * points), its `exemplars` field: the trace and span id, the value and the time of a sampled request
 * in that bucket. A collection without exemplars is sent byte for byte as the SDK encodes it.
 */
import {
  OTLPMetricExporterBase,
  type OTLPMetricExporterOptions,
} from '@opentelemetry/exporter-metrics-otlp-http';
import type { OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type ISerializer,
  MetricsExporterMetricsHelper,
  ProtobufMetricsSerializer,
} from '@opentelemetry/otlp-transformer';
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { logger } from './diag.js';

/** An exemplar as the RED producer's points carry it (the data model's `Exemplar`). */
interface Exemplar {
  readonly value: number;
  readonly timestamp: readonly [number, number];
  readonly traceId?: string;
  readonly spanId?: string;
}

type ExportResponse = ReturnType<(typeof ProtobufMetricsSerializer)['deserializeResponse']>;

const SERIALIZER: ISerializer<ResourceMetrics, ExportResponse> = {
  serializeRequest(metrics) {
    const bytes = ProtobufMetricsSerializer.serializeRequest(metrics);
    return bytes === undefined ? undefined : addExemplars(bytes, metrics);
  },
  deserializeResponse: (bytes) => ProtobufMetricsSerializer.deserializeResponse(bytes),
};

/**
 * The OTLP/HTTP protobuf metric exporter of `@opentelemetry/exporter-metrics-otlp-proto`, with the
 * same options, that also sends the exemplars of histogram points.
 */
export class OtlpExemplarMetricExporter extends OTLPMetricExporterBase {
  constructor(config: OTLPExporterNodeConfigBase & OTLPMetricExporterOptions = {}) {
    super(
      createOtlpHttpExportDelegate(
        convertLegacyHttpOptions(config, 'METRICS', 'v1/metrics', {
          'Content-Type': 'application/x-protobuf',
        }),
        SERIALIZER,
        'otlp_http_metric_exporter',
        MetricsExporterMetricsHelper,
        undefined,
      ),
      config,
    );
  }
}

// --- The protobuf rewrite ---------------------------------------------------------------------
//
// ExportMetricsServiceRequest.resource_metrics (1) > ResourceMetrics.scope_metrics (2) >
// ScopeMetrics.metrics (2) > Metric.histogram (9) > Histogram.data_points (1) >
// HistogramDataPoint.exemplars (8). The SDK writes one message per object, in order, so the n-th
// message of a repeated field is the n-th object; each metric's name is checked all the same.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** `bytes` with the exemplars of `metrics`' histogram points added; `bytes` itself without any. */
export function addExemplars(bytes: Uint8Array, metrics: ResourceMetrics): Uint8Array {
  if (!metrics.scopeMetrics.some((scope) => scope.metrics.some(hasExemplars))) return bytes;
  try {
    return rewrite(bytes, (field, index, payload) =>
      field === 1 && index === 0 ? resourceMetrics(payload, metrics) : undefined,
    );
  } catch (error) {
    logger.warn(
      'OTLP metrics: adding the exemplars failed; the metrics are sent without them',
      error,
    );
    return bytes;
  }
}

function resourceMetrics(bytes: Uint8Array, metrics: ResourceMetrics): Uint8Array {
  return rewrite(bytes, (field, index, payload) => {
    const scope = field === 2 ? metrics.scopeMetrics[index] : undefined;
    if (scope === undefined || !scope.metrics.some(hasExemplars)) return undefined;
    return rewrite(payload, (f, i, metric) => {
      const data = f === 2 ? scope.metrics[i] : undefined;
      return data !== undefined && hasExemplars(data)
        ? metricWithExemplars(metric, data)
        : undefined;
    });
  });
}

function metricWithExemplars(bytes: Uint8Array, data: MetricData): Uint8Array {
  const name = readFields(bytes).find((f) => f.field === 1);
  const decoded = name && new TextDecoder().decode(bytes.subarray(name.start, name.end));
  if (decoded !== data.descriptor.name) {
    throw new Error(`metric "${decoded}" where "${data.descriptor.name}" was expected`);
  }
  return rewrite(bytes, (field, _, histogram) =>
    field === 9
      ? rewrite(histogram, (f, i, point) => {
          const exemplars = f === 1 ? exemplarsOf(data.dataPoints[i]) : undefined;
          return exemplars === undefined ? undefined : concat([point, ...exemplars.map(encode)]);
        })
      : undefined,
  );
}

function exemplarsOf(point: unknown): readonly Exemplar[] | undefined {
  const exemplars = (point as { exemplars?: readonly Exemplar[] } | undefined)?.exemplars;
  return exemplars !== undefined && exemplars.length > 0 ? exemplars : undefined;
}

function hasExemplars(metric: MetricData): boolean {
  return (
    metric.dataPointType === DataPointType.HISTOGRAM &&
    metric.dataPoints.some((point) => exemplarsOf(point) !== undefined)
  );
}

/** `HistogramDataPoint.exemplars` (field 8): one `Exemplar` message. */
function encode(exemplar: Exemplar): Uint8Array {
  const parts: Uint8Array[] = [];
  // time_unix_nano (2, fixed64)
  const [seconds, nanos] = exemplar.timestamp;
  const time = new Uint8Array(9);
  time[0] = (2 << 3) | WIRE_FIXED64;
  new DataView(time.buffer).setBigUint64(1, BigInt(seconds) * 1_000_000_000n + BigInt(nanos), true);
  parts.push(time);
  // as_double (3, double)
  const value = new Uint8Array(9);
  value[0] = (3 << 3) | WIRE_FIXED64;
  new DataView(value.buffer).setFloat64(1, exemplar.value, true);
  parts.push(value);
  // span_id (4, bytes) and trace_id (5, bytes)
  const span = idBytes(exemplar.spanId, 8);
  if (span !== undefined) parts.push(lengthDelimited(4, span));
  const trace = idBytes(exemplar.traceId, 16);
  if (trace !== undefined) parts.push(lengthDelimited(5, trace));
  return lengthDelimited(8, concat(parts));
}

function idBytes(hex: string | undefined, length: number): Uint8Array | undefined {
  if (hex === undefined || hex.length !== length * 2 || !/^[0-9a-f]+$/i.test(hex)) return undefined;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

interface Field {
  readonly field: number;
  readonly wire: number;
  /** Where the whole field (tag included) starts and ends. */
  readonly from: number;
  readonly to: number;
  /** A length-delimited field's payload. */
  readonly start: number;
  readonly end: number;
}

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const byte = bytes[i] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return [value, i + 1];
  }
  throw new Error('a malformed varint');
}

function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let at = 0;
  while (at < bytes.length) {
    const from = at;
    const [tag, afterTag] = readVarint(bytes, at);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    let start = afterTag;
    let end: number;
    if (wire === WIRE_VARINT) end = readVarint(bytes, afterTag)[1];
    else if (wire === WIRE_FIXED64) end = afterTag + 8;
    else if (wire === WIRE_FIXED32) end = afterTag + 4;
    else if (wire === WIRE_LEN) {
      const [length, payload] = readVarint(bytes, afterTag);
      start = payload;
      end = payload + length;
    } else throw new Error(`wire type ${wire}`);
    if (end > bytes.length) throw new Error('a field past the end of its message');
    fields.push({ field, wire, from, to: end, start, end });
    at = end;
  }
  return fields;
}

/**
 * The message with each length-delimited field that `change` answers for replaced (its payload
 * and length); every other field is copied as it is. `index` counts the field's occurrences.
 */
function rewrite(
  bytes: Uint8Array,
  change: (field: number, index: number, payload: Uint8Array) => Uint8Array | undefined,
): Uint8Array {
  const seen = new Map<number, number>();
  const parts: Uint8Array[] = [];
  let changed = false;
  for (const f of readFields(bytes)) {
    const index = seen.get(f.field) ?? 0;
    seen.set(f.field, index + 1);
    const replaced =
      f.wire === WIRE_LEN ? change(f.field, index, bytes.subarray(f.start, f.end)) : undefined;
    if (replaced === undefined) parts.push(bytes.subarray(f.from, f.to));
    else {
      parts.push(lengthDelimited(f.field, replaced));
      changed = true;
    }
  }
  return changed ? concat(parts) : bytes;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  const head = [...varint(field * 8 + WIRE_LEN), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
