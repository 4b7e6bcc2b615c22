/**
 * Decodes the OTLP protobuf requests the exporters send, written from the protobuf wire format and
 * the field numbers of opentelemetry-proto (collector/trace/v1, collector/metrics/v1). Independent
 * of the SDK's serializer on purpose: `@opentelemetry/otlp-transformer` only encodes requests (and
 * decodes responses), so a receiver cannot use it, and a decoder that shares nothing with the
 * encoder is the better check anyway. Only the fields the tests look at are decoded.
 */

type WireValue = bigint | Uint8Array;
interface Field {
  no: number;
  wire: number;
  value: WireValue;
}

function* fields(bytes: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= bytes.length) throw new Error('truncated varint');
      const byte = bytes[pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  const take = (length: number): Uint8Array => {
    if (pos + length > bytes.length) throw new Error('truncated field');
    const slice = bytes.subarray(pos, pos + length);
    pos += length;
    return slice;
  };
  while (pos < bytes.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 1) yield { no, wire, value: take(8) };
    else if (wire === 2) yield { no, wire, value: take(Number(varint())) };
    else if (wire === 5) yield { no, wire, value: take(4) };
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

const text = (value: WireValue) => new TextDecoder().decode(value as Uint8Array);
const hex = (value: WireValue) => Buffer.from(value as Uint8Array).toString('hex');
const view = (value: WireValue) => {
  const b = value as Uint8Array;
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
};
const double = (value: WireValue) => view(value).getFloat64(0, true);
const fixed64 = (value: WireValue) => view(value).getBigUint64(0, true);

/** A decoded attribute value. */
export type AnyValue = string | boolean | number | AnyValue[] | undefined;

function anyValue(bytes: Uint8Array): AnyValue {
  for (const f of fields(bytes)) {
    switch (f.no) {
      case 1:
        return text(f.value);
      case 2:
        return f.value !== 0n;
      case 3:
        return Number(BigInt.asIntN(64, f.value as bigint));
      case 4:
        return double(f.value);
      case 5:
        return [...fields(f.value as Uint8Array)].map((v) => anyValue(v.value as Uint8Array));
    }
  }
  return undefined;
}

function keyValues(list: Field[]): Record<string, AnyValue> {
  const out: Record<string, AnyValue> = {};
  for (const kv of list) {
    let key = '';
    let value: AnyValue;
    for (const f of fields(kv.value as Uint8Array)) {
      if (f.no === 1) key = text(f.value);
      if (f.no === 2) value = anyValue(f.value as Uint8Array);
    }
    out[key] = value;
  }
  return out;
}

const all = (bytes: Uint8Array, no: number) => [...fields(bytes)].filter((f) => f.no === no);
const one = (bytes: Uint8Array, no: number) => all(bytes, no)[0]?.value;

function resourceOf(bytes: Uint8Array | undefined): Record<string, AnyValue> {
  return bytes === undefined ? {} : keyValues(all(bytes, 1));
}

function scopeOf(bytes: Uint8Array | undefined): { name: string; version: string } {
  if (bytes === undefined) return { name: '', version: '' };
  const name = one(bytes, 1);
  const version = one(bytes, 2);
  return { name: name ? text(name) : '', version: version ? text(version) : '' };
}

/** A span as received. */
export interface ReceivedSpan {
  resource: Record<string, AnyValue>;
  scope: { name: string; version: string };
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP numbering: 1 internal, 2 server, 3 client. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, AnyValue>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

/** Decodes an `ExportTraceServiceRequest`. */
export function decodeTraces(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of all(body, 1)) {
    const rs = resourceSpans.value as Uint8Array;
    const resource = resourceOf(one(rs, 1) as Uint8Array | undefined);
    for (const scopeSpans of all(rs, 2)) {
      const ss = scopeSpans.value as Uint8Array;
      const scope = scopeOf(one(ss, 1) as Uint8Array | undefined);
      for (const spanField of all(ss, 2)) {
        const s = spanField.value as Uint8Array;
        const status = one(s, 15) as Uint8Array | undefined;
        const parent = one(s, 4);
        spans.push({
          resource,
          scope,
          traceId: hex(one(s, 1) as Uint8Array),
          spanId: hex(one(s, 2) as Uint8Array),
          parentSpanId: parent ? hex(parent) : '',
          name: text(one(s, 5) as Uint8Array),
          kind: Number(one(s, 6) ?? 0n),
          startTimeUnixNano: fixed64(one(s, 7) as Uint8Array),
          endTimeUnixNano: fixed64(one(s, 8) as Uint8Array),
          attributes: keyValues(all(s, 9)),
          statusCode: status ? Number(one(status, 3) ?? 0n) : 0,
        });
      }
    }
  }
  return spans;
}

/** One data point as received: numbers for sums and gauges, counts and bounds for histograms. */
export interface ReceivedPoint {
  attributes: Record<string, AnyValue>;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
  /** A histogram point's exemplars (`HistogramDataPoint.exemplars`, field 8). */
  exemplars?: ReceivedExemplar[];
}

/** An `Exemplar` as received. */
export interface ReceivedExemplar {
  timeUnixNano: bigint;
  value: number;
  spanId: string;
  traceId: string;
  filteredAttributes: Record<string, AnyValue>;
}

function exemplar(bytes: Uint8Array): ReceivedExemplar {
  const asDouble = one(bytes, 3);
  const asInt = one(bytes, 6);
  const span = one(bytes, 4) as Uint8Array | undefined;
  const trace = one(bytes, 5) as Uint8Array | undefined;
  return {
    timeUnixNano: fixed64(one(bytes, 2) as Uint8Array),
    value: asDouble ? double(asDouble) : asInt ? Number(BigInt.asIntN(64, fixed64(asInt))) : 0,
    spanId: span ? hex(span) : '',
    traceId: trace ? hex(trace) : '',
    filteredAttributes: keyValues(all(bytes, 7)),
  };
}

/** A metric as received. */
export interface ReceivedMetric {
  resource: Record<string, AnyValue>;
  scope: { name: string; version: string };
  name: string;
  unit: string;
  type: 'gauge' | 'sum' | 'histogram' | 'other';
  points: ReceivedPoint[];
}

function packedOrRepeated<T>(list: Field[], read: (value: Uint8Array) => T): T[] {
  const out: T[] = [];
  for (const f of list) {
    const bytes = f.value as Uint8Array;
    if (f.wire === 2)
      for (let i = 0; i < bytes.length; i += 8) out.push(read(bytes.subarray(i, i + 8)));
    else out.push(read(bytes));
  }
  return out;
}

function numberPoint(bytes: Uint8Array): ReceivedPoint {
  const asDouble = one(bytes, 4);
  const asInt = one(bytes, 6);
  return {
    attributes: keyValues(all(bytes, 7)),
    value: asDouble ? double(asDouble) : asInt ? Number(BigInt.asIntN(64, fixed64(asInt))) : 0,
  };
}

function histogramPoint(bytes: Uint8Array): ReceivedPoint {
  const sum = one(bytes, 5);
  return {
    attributes: keyValues(all(bytes, 9)),
    count: Number(fixed64(one(bytes, 4) as Uint8Array)),
    ...(sum && { sum: double(sum) }),
    bucketCounts: packedOrRepeated(all(bytes, 6), (b) => Number(fixed64(b))),
    explicitBounds: packedOrRepeated(all(bytes, 7), double),
    exemplars: all(bytes, 8).map((f) => exemplar(f.value as Uint8Array)),
  };
}

/** Decodes an `ExportMetricsServiceRequest`. */
export function decodeMetrics(body: Uint8Array): ReceivedMetric[] {
  const metrics: ReceivedMetric[] = [];
  for (const resourceMetrics of all(body, 1)) {
    const rm = resourceMetrics.value as Uint8Array;
    const resource = resourceOf(one(rm, 1) as Uint8Array | undefined);
    for (const scopeMetrics of all(rm, 2)) {
      const sm = scopeMetrics.value as Uint8Array;
      const scope = scopeOf(one(sm, 1) as Uint8Array | undefined);
      for (const metricField of all(sm, 2)) {
        const m = metricField.value as Uint8Array;
        const unit = one(m, 3);
        const gauge = one(m, 5) as Uint8Array | undefined;
        const sum = one(m, 7) as Uint8Array | undefined;
        const histogram = one(m, 9) as Uint8Array | undefined;
        const data = gauge ?? sum ?? histogram;
        metrics.push({
          resource,
          scope,
          name: text(one(m, 1) as Uint8Array),
          unit: unit ? text(unit) : '',
          type: gauge ? 'gauge' : sum ? 'sum' : histogram ? 'histogram' : 'other',
          points:
            data === undefined
              ? []
              : all(data, 1).map((p) =>
                  histogram
                    ? histogramPoint(p.value as Uint8Array)
                    : numberPoint(p.value as Uint8Array),
                ),
        });
      }
    }
  }
  return metrics;
}
