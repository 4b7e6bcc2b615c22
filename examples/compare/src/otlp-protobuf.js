/**
 * Decodes an OTLP `ExportTraceServiceRequest` (the body `http/protobuf` exporters POST to
 * `/v1/traces`) into plain span objects. Written from the protobuf wire format and the field
 * numbers of opentelemetry-proto (`trace/v1/trace.proto`, `common/v1/common.proto`); only the fields
 * the comparison reads are decoded, the others are skipped.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

/** OTLP's `Span.SpanKind`, by number. */
export const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** OTLP's `Status.StatusCode`, by number. */
export const STATUS_CODES = ['UNSET', 'OK', 'ERROR'];

/**
 * @typedef {object} DecodedSpan
 * @property {string} traceId - 32 hex digits.
 * @property {string} spanId - 16 hex digits.
 * @property {string} parentSpanId - 16 hex digits, or `''` for a root span.
 * @property {string} name
 * @property {string} kind - `SERVER`, `CLIENT`, `INTERNAL`, …
 * @property {bigint} startTimeUnixNano
 * @property {bigint} endTimeUnixNano
 * @property {Record<string, unknown>} attributes
 * @property {{ name: string, attributes: Record<string, unknown> }[]} events
 * @property {{ code: string, message: string }} status - `code` is `UNSET`, `OK` or `ERROR`.
 * @property {{ name: string, version: string }} scope
 * @property {Record<string, unknown>} resource - The resource attributes (`service.name`, …).
 */

/** Every span in one request body. */
export function decodeTraceRequest(bytes) {
  const spans = [];
  for (const resourceSpans of messages(bytes, 1)) {
    let resource = {};
    for (const field of fields(resourceSpans)) {
      if (field.number === 1) resource = attributesOf(field.value, 1);
    }
    for (const scopeSpans of messages(resourceSpans, 2)) {
      let scope = { name: '', version: '' };
      for (const field of fields(scopeSpans)) {
        if (field.number === 1) scope = decodeScope(field.value);
      }
      for (const span of messages(scopeSpans, 2)) spans.push(decodeSpan(span, scope, resource));
    }
  }
  return spans;
}

function decodeScope(bytes) {
  const scope = { name: '', version: '' };
  for (const { number, value } of fields(bytes)) {
    if (number === 1) scope.name = text(value);
    else if (number === 2) scope.version = text(value);
  }
  return scope;
}

function decodeSpan(bytes, scope, resource) {
  const span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: SPAN_KINDS[0],
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    status: { code: STATUS_CODES[0], message: '' },
    scope,
    resource,
  };
  for (const { number, value } of fields(bytes)) {
    if (number === 1) span.traceId = hex(value);
    else if (number === 2) span.spanId = hex(value);
    else if (number === 4) span.parentSpanId = hex(value);
    else if (number === 5) span.name = text(value);
    else if (number === 6) span.kind = SPAN_KINDS[Number(value)] ?? String(value);
    else if (number === 7) span.startTimeUnixNano = fixed64(value);
    else if (number === 8) span.endTimeUnixNano = fixed64(value);
    else if (number === 9) addKeyValue(span.attributes, value);
    else if (number === 11) span.events.push(decodeEvent(value));
    else if (number === 15) span.status = decodeStatus(value);
  }
  return span;
}

function decodeEvent(bytes) {
  const event = { name: '', attributes: {} };
  for (const { number, value } of fields(bytes)) {
    if (number === 2) event.name = text(value);
    else if (number === 3) addKeyValue(event.attributes, value);
  }
  return event;
}

function decodeStatus(bytes) {
  const status = { code: STATUS_CODES[0], message: '' };
  for (const { number, value } of fields(bytes)) {
    if (number === 2) status.message = text(value);
    else if (number === 3) status.code = STATUS_CODES[Number(value)] ?? String(value);
  }
  return status;
}

/** The `KeyValue` entries in field `number` of a message, as an object. */
function attributesOf(bytes, number) {
  const attributes = {};
  for (const field of fields(bytes)) {
    if (field.number === number) addKeyValue(attributes, field.value);
  }
  return attributes;
}

function addKeyValue(target, bytes) {
  let key = '';
  let value;
  for (const field of fields(bytes)) {
    if (field.number === 1) key = text(field.value);
    else if (field.number === 2) value = decodeAnyValue(field.value);
  }
  target[key] = value;
}

function decodeAnyValue(bytes) {
  let value;
  for (const field of fields(bytes)) {
    switch (field.number) {
      case 1:
        value = text(field.value);
        break;
      case 2:
        value = field.value !== 0n;
        break;
      case 3:
        value = Number(BigInt.asIntN(64, field.value));
        break;
      case 4:
        value = Buffer.from(field.value).readDoubleLE(0);
        break;
      case 5:
        value = [...messages(field.value, 1)].map(decodeAnyValue);
        break;
      case 6:
        value = attributesOf(field.value, 1);
        break;
      case 7:
        value = hex(field.value);
        break;
    }
  }
  return value;
}

/** The length-delimited fields numbered `number` of a message. */
function* messages(bytes, number) {
  for (const field of fields(bytes)) {
    if (field.number === number && field.wire === WIRE_LENGTH) yield field.value;
  }
}

/**
 * The fields of a message in wire order: `{ number, wire, value }`, where `value` is a `bigint`
 * for varints and the raw bytes for everything else.
 */
function* fields(bytes) {
  let offset = 0;
  const varint = () => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (offset >= bytes.length) throw new Error('truncated protobuf varint');
      const byte = bytes[offset++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const take = (length) => {
    if (offset + length > bytes.length) throw new Error('truncated protobuf field');
    const value = bytes.subarray(offset, offset + length);
    offset += length;
    return value;
  };
  while (offset < bytes.length) {
    const tag = varint();
    const number = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === WIRE_VARINT) yield { number, wire, value: varint() };
    else if (wire === WIRE_FIXED64) yield { number, wire, value: take(8) };
    else if (wire === WIRE_LENGTH) yield { number, wire, value: take(Number(varint())) };
    else if (wire === WIRE_FIXED32) yield { number, wire, value: take(4) };
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

function text(bytes) {
  return Buffer.from(bytes).toString('utf8');
}

function hex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

function fixed64(bytes) {
  return Buffer.from(bytes).readBigUInt64LE(0);
}
