/**
 * Decodes an OTLP/HTTP protobuf `ExportTraceServiceRequest`
 * (`application/x-protobuf`) into span records. Field numbers are those of
 * opentelemetry-proto `trace/v1/trace.proto` and `common/v1/common.proto`;
 * unknown fields are skipped, as protobuf readers must.
 */
import { ProtobufReader, WIRE } from './protobuf-reader.js';
import { spanRecord } from './otlp-json.js';
import type { AttributeValue, SpanEventRecord, SpanRecord } from './span-record.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const nanosToMillis = (nanos: bigint) => Number(nanos / 1000n) / 1000;

/** @throws OtlpDecodeError when the bytes are not a well-formed message. */
export function decodeOtlpProtobuf(body: Uint8Array): SpanRecord[] {
  const spans: SpanRecord[] = [];
  const request = new ProtobufReader(body);
  while (!request.done) {
    const { number, wireType } = request.tag();
    if (number === 1 && wireType === WIRE.bytes) resourceSpans(request.message(), spans);
    else request.skip(wireType);
  }
  return spans;
}

function resourceSpans(reader: ProtobufReader, out: SpanRecord[]): void {
  let resource: Record<string, AttributeValue> = {};
  const scopes: ProtobufReader[] = [];
  while (!reader.done) {
    const { number, wireType } = reader.tag();
    if (number === 1 && wireType === WIRE.bytes) resource = resourceAttributes(reader.message());
    else if (number === 2 && wireType === WIRE.bytes) scopes.push(reader.message());
    else reader.skip(wireType);
  }
  // The resource may come after the scopes on the wire; decode spans once it is known.
  for (const scope of scopes) {
    while (!scope.done) {
      const { number, wireType } = scope.tag();
      if (number === 2 && wireType === WIRE.bytes) out.push(span(scope.message(), resource));
      else scope.skip(wireType);
    }
  }
}

function resourceAttributes(reader: ProtobufReader): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  while (!reader.done) {
    const { number, wireType } = reader.tag();
    if (number === 1 && wireType === WIRE.bytes) keyValue(reader.message(), attributes);
    else reader.skip(wireType);
  }
  return attributes;
}

function keyValue(reader: ProtobufReader, into: Record<string, AttributeValue>): void {
  let key = '';
  let value: AttributeValue = null;
  while (!reader.done) {
    const { number, wireType } = reader.tag();
    if (number === 1 && wireType === WIRE.bytes) key = reader.string();
    else if (number === 2 && wireType === WIRE.bytes) value = anyValue(reader.message());
    else reader.skip(wireType);
  }
  into[key] = value;
}

function anyValue(reader: ProtobufReader): AttributeValue {
  let value: AttributeValue = null;
  while (!reader.done) {
    const { number, wireType } = reader.tag();
    if (number === 1 && wireType === WIRE.bytes) value = reader.string();
    else if (number === 2 && wireType === WIRE.varint) value = reader.varint() !== 0n;
    else if (number === 3 && wireType === WIRE.varint) value = Number(BigInt.asIntN(64, reader.varint()));
    else if (number === 4 && wireType === WIRE.fixed64) value = reader.double();
    else if (number === 5 && wireType === WIRE.bytes) value = list(reader.message());
    else if (number === 6 && wireType === WIRE.bytes) {
      const kv: Record<string, AttributeValue> = {};
      const kvList = reader.message();
      while (!kvList.done) {
        const field = kvList.tag();
        if (field.number === 1 && field.wireType === WIRE.bytes) keyValue(kvList.message(), kv);
        else kvList.skip(field.wireType);
      }
      value = kv;
    } else if (number === 7 && wireType === WIRE.bytes) value = Buffer.from(reader.bytes()).toString('base64');
    else reader.skip(wireType);
  }
  return value;
}

function list(reader: ProtobufReader): AttributeValue[] {
  const values: AttributeValue[] = [];
  while (!reader.done) {
    const { number, wireType } = reader.tag();
    if (number === 1 && wireType === WIRE.bytes) values.push(anyValue(reader.message()));
    else reader.skip(wireType);
  }
  return values;
}

function span(reader: ProtobufReader, resource: Record<string, AttributeValue>): SpanRecord {
  let traceId = '';
  let spanId = '';
  let parentSpanId: string | undefined;
  let name = '';
  let kind = 0;
  let start = 0n;
  let end = 0n;
  let statusCode = 0;
  let statusMessage: string | undefined;
  const attributes: Record<string, AttributeValue> = {};
  const events: SpanEventRecord[] = [];
  while (!reader.done) {
    const { number, wireType } = reader.tag();
    if (number === 1 && wireType === WIRE.bytes) traceId = hex(reader.bytes());
    else if (number === 2 && wireType === WIRE.bytes) spanId = hex(reader.bytes());
    else if (number === 4 && wireType === WIRE.bytes) parentSpanId = hex(reader.bytes()) || undefined;
    else if (number === 5 && wireType === WIRE.bytes) name = reader.string();
    else if (number === 6 && wireType === WIRE.varint) kind = Number(reader.varint());
    else if (number === 7 && wireType === WIRE.fixed64) start = reader.fixed64();
    else if (number === 8 && wireType === WIRE.fixed64) end = reader.fixed64();
    else if (number === 9 && wireType === WIRE.bytes) keyValue(reader.message(), attributes);
    else if (number === 11 && wireType === WIRE.bytes) events.push(event(reader.message()));
    else if (number === 15 && wireType === WIRE.bytes) {
      const status = reader.message();
      while (!status.done) {
        const field = status.tag();
        if (field.number === 2 && field.wireType === WIRE.bytes) statusMessage = status.string() || undefined;
        else if (field.number === 3 && field.wireType === WIRE.varint) statusCode = Number(status.varint());
        else status.skip(field.wireType);
      }
    } else reader.skip(wireType);
  }
  return spanRecord({
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    resource,
    start: nanosToMillis(start),
    end: nanosToMillis(end),
    statusCode,
    statusMessage,
    attributes,
    events,
  });
}

function event(reader: ProtobufReader): SpanEventRecord {
  let time = 0n;
  let name = '';
  const attributes: Record<string, AttributeValue> = {};
  while (!reader.done) {
    const { number, wireType } = reader.tag();
    if (number === 1 && wireType === WIRE.fixed64) time = reader.fixed64();
    else if (number === 2 && wireType === WIRE.bytes) name = reader.string();
    else if (number === 3 && wireType === WIRE.bytes) keyValue(reader.message(), attributes);
    else reader.skip(wireType);
  }
  return { name, time: nanosToMillis(time), attributes };
}
