/**
 * One finished span as msx keeps it: flat, JSON-friendly, decoded from OTLP
 * (JSON or protobuf) by the collector and read back by `msx trace`. Times
 * are milliseconds since the epoch as floats (sub-microsecond precision at
 * today's dates), ids lower-case hex.
 */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKindName;
  /** `service.name` of the resource that produced the span. */
  readonly service: string;
  /** `service.instance.id`, when the resource has one. */
  readonly instance?: string;
  readonly start: number;
  readonly end: number;
  /** OTLP status: `error` only when the producer said so. */
  readonly status: 'unset' | 'ok' | 'error';
  readonly statusMessage?: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly events?: readonly SpanEventRecord[];
}

export interface SpanEventRecord {
  readonly name: string;
  readonly time: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

export type AttributeValue = string | number | boolean | null | readonly AttributeValue[] | { readonly [key: string]: AttributeValue };

export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** OTLP's `Span.SpanKind` numbers. */
export const SPAN_KINDS: readonly SpanKindName[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** OTLP's `Status.StatusCode` numbers. */
export const STATUS_CODES: readonly SpanRecord['status'][] = ['unset', 'ok', 'error'];
