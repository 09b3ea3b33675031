/**
 * Just enough of the protobuf wire format to read OTLP: varints, fixed
 * 32/64-bit values and length-delimited fields. `@opentelemetry/otlp-transformer`
 * only serialises requests (it decodes responses), so the collector reads
 * requests itself rather than pulling in protobufjs and the .proto files.
 */
import { OtlpDecodeError } from './otlp-error.js';

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export interface Field {
  readonly number: number;
  readonly wireType: number;
}

export class ProtobufReader {
  #pos: number;
  readonly #end: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.#pos = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#pos >= this.#end;
  }

  /** The next field's tag. */
  tag(): Field {
    const key = this.varint();
    return { number: Number(key >> 3n), wireType: Number(key & 7n) };
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.#pos >= this.#end) throw new OtlpDecodeError('Truncated protobuf: a varint runs past the end');
      const byte = this.buf[this.#pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new OtlpDecodeError('Malformed protobuf: a varint is longer than 10 bytes');
    }
  }

  fixed64(): bigint {
    this.#need(8);
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.#pos, 8);
    this.#pos += 8;
    return view.getBigUint64(0, true);
  }

  double(): number {
    this.#need(8);
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.#pos, 8);
    this.#pos += 8;
    return view.getFloat64(0, true);
  }

  fixed32(): number {
    this.#need(4);
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.#pos, 4);
    this.#pos += 4;
    return view.getUint32(0, true);
  }

  /** A length-delimited field's bytes. */
  bytes(): Uint8Array {
    const length = Number(this.varint());
    this.#need(length);
    const out = this.buf.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return out;
  }

  string(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }

  /** A reader over an embedded message. */
  message(): ProtobufReader {
    const bytes = this.bytes();
    return new ProtobufReader(bytes);
  }

  skip(wireType: number): void {
    if (wireType === WIRE.varint) this.varint();
    else if (wireType === WIRE.fixed64) this.#advance(8);
    else if (wireType === WIRE.bytes) this.bytes();
    else if (wireType === WIRE.fixed32) this.#advance(4);
    else throw new OtlpDecodeError(`Unsupported protobuf wire type ${wireType}`);
  }

  #advance(n: number): void {
    this.#need(n);
    this.#pos += n;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#end) throw new OtlpDecodeError('Truncated protobuf: a field runs past the end');
  }
}
