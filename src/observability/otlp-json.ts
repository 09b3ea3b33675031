/**
 * Decodes an OTLP/HTTP JSON `ExportTraceServiceRequest` into span records.
 * The JSON mapping of OTLP (opentelemetry-proto, "JSON Protobuf Encoding")
 * writes ids as hex strings, 64-bit times as decimal strings (or numbers),
 * enums as numbers, and attribute values as `AnyValue` objects.
 */
import { OtlpDecodeError } from './otlp-error.js';
import { SPAN_KINDS, STATUS_CODES, type AttributeValue, type SpanEventRecord, type SpanRecord } from './span-record.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Unix nanoseconds (string, number or {low, high}) to epoch milliseconds. */
export function nanosToMillis(value: unknown): number {
  if (typeof value === 'string' && /^\d+$/.test(value)) {
    const nanos = BigInt(value);
    return Number(nanos / 1000n) / 1000;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return value / 1e6;
  if (isObject(value) && typeof value.low === 'number' && typeof value.high === 'number') {
    return Number((BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0)) / 1e6;
  }
  throw new OtlpDecodeError(`Expected a time in unix nanoseconds, got ${JSON.stringify(value)}`);
}

/** Hex as sent by the JSON encoding; base64 as some SDKs (and the proto3 JSON mapping) send it. */
function id(value: unknown, bytes: number, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new OtlpDecodeError(`Expected ${what} to be a string, got ${JSON.stringify(value)}`);
  if (value.length === bytes * 2 && /^[\da-fA-F]+$/.test(value)) return value.toLowerCase();
  const decoded = Buffer.from(value, 'base64');
  if (decoded.length === bytes) return decoded.toString('hex');
  throw new OtlpDecodeError(`Expected ${what} to be ${bytes} bytes of hex, got ${JSON.stringify(value)}`);
}

export function anyValue(value: unknown): AttributeValue {
  if (!isObject(value)) return null;
  if ('stringValue' in value) return String(value.stringValue);
  if ('boolValue' in value) return Boolean(value.boolValue);
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) return array((value.arrayValue as Json | undefined)?.values).map(anyValue);
  if ('kvlistValue' in value) return keyValues((value.kvlistValue as Json | undefined)?.values);
  if ('bytesValue' in value) return String(value.bytesValue);
  return null;
}

export function keyValues(list: unknown): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of array(list)) if (isObject(kv) && typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  return out;
}

function enumIndex(value: unknown, names: readonly string[]): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    // The proto3 JSON mapping may also spell enums by name: SPAN_KIND_SERVER, STATUS_CODE_ERROR.
    const index = names.findIndex((n) => value.toLowerCase().endsWith(`_${n}`));
    if (index >= 0) return index;
  }
  return 0;
}

/** @throws OtlpDecodeError when the body is not an ExportTraceServiceRequest. */
export function decodeOtlpJson(body: string | Buffer): SpanRecord[] {
  let request: unknown;
  try {
    request = JSON.parse(body.toString());
  } catch (cause) {
    throw new OtlpDecodeError(`The body is not JSON: ${(cause as Error).message}`);
  }
  if (!isObject(request)) throw new OtlpDecodeError('Expected an ExportTraceServiceRequest object');
  const spans: SpanRecord[] = [];
  for (const resourceSpans of array(request.resourceSpans)) {
    if (!isObject(resourceSpans)) continue;
    const resource = keyValues((resourceSpans.resource as Json | undefined)?.attributes);
    for (const scopeSpans of array(resourceSpans.scopeSpans)) {
      if (!isObject(scopeSpans)) continue;
      for (const span of array(scopeSpans.spans)) {
        if (isObject(span)) spans.push(toRecord(span, resource));
      }
    }
  }
  return spans;
}

function toRecord(span: Json, resource: Record<string, AttributeValue>): SpanRecord {
  const traceId = id(span.traceId, 16, 'traceId');
  const spanId = id(span.spanId, 8, 'spanId');
  if (traceId === undefined || spanId === undefined) throw new OtlpDecodeError('Expected every span to have a traceId and a spanId');
  const parentSpanId = id(span.parentSpanId, 8, 'parentSpanId');
  const status = isObject(span.status) ? span.status : {};
  const events: SpanEventRecord[] = array(span.events)
    .filter(isObject)
    .map((e) => ({ name: String(e.name ?? ''), time: nanosToMillis(e.timeUnixNano ?? '0'), attributes: keyValues(e.attributes) }));
  return spanRecord({
    traceId,
    spanId,
    parentSpanId,
    name: String(span.name ?? ''),
    kind: enumIndex(span.kind, SPAN_KINDS),
    resource,
    start: nanosToMillis(span.startTimeUnixNano ?? '0'),
    end: nanosToMillis(span.endTimeUnixNano ?? '0'),
    statusCode: enumIndex(status.code, STATUS_CODES),
    statusMessage: typeof status.message === 'string' ? status.message : undefined,
    attributes: keyValues(span.attributes),
    events,
  });
}

/** Shape shared by both decoders: builds the record, applying the same defaults. */
export function spanRecord(input: {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  resource: Record<string, AttributeValue>;
  start: number;
  end: number;
  statusCode: number;
  statusMessage: string | undefined;
  attributes: Record<string, AttributeValue>;
  events: SpanEventRecord[];
}): SpanRecord {
  if (!/^[\da-f]{32}$/.test(input.traceId) || !/^[\da-f]{16}$/.test(input.spanId)) {
    throw new OtlpDecodeError(`Expected a 16-byte trace id and an 8-byte span id, got ${JSON.stringify(input.traceId)} and ${JSON.stringify(input.spanId)}`);
  }
  const service = input.resource['service.name'];
  const instance = input.resource['service.instance.id'];
  return {
    traceId: input.traceId,
    spanId: input.spanId,
    ...(input.parentSpanId !== undefined && !/^0+$/.test(input.parentSpanId) ? { parentSpanId: input.parentSpanId } : {}),
    name: input.name,
    kind: SPAN_KINDS[input.kind] ?? 'unspecified',
    service: typeof service === 'string' && service !== '' ? service : 'unknown_service',
    ...(typeof instance === 'string' ? { instance } : {}),
    start: input.start,
    end: Math.max(input.end, input.start),
    status: STATUS_CODES[input.statusCode] ?? 'unset',
    ...(input.statusMessage ? { statusMessage: input.statusMessage } : {}),
    attributes: input.attributes,
    ...(input.events.length > 0 ? { events: input.events } : {}),
  };
}
