/**
 * An OTLP export request the collector cannot read. The receiver answers it
 * with 400 (the exporter then drops the batch instead of retrying it
 * forever), and the message says what was wrong.
 */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
  readonly code = 'OTLP_DECODE_FAILED';
}
