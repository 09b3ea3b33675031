/**
 * Builds the CloudEvents envelope for a publish, identically for every
 * adapter, and validates the input before any I/O starts.
 */
import { randomUUID } from 'node:crypto';
import type { EventEnvelope, PublishInput } from './bus.js';
import { BusError } from './errors.js';
import { assertEventType } from './topic.js';

/** W3C trace context of the current span, if any (wired by the service kit's tracing). */
export interface TraceContext {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export type TraceContextProvider = () => TraceContext | undefined;

export function createEnvelope<T>(input: PublishInput<T>, source: string, traceContext?: TraceContextProvider): EventEnvelope<T> {
  if (input === null || typeof input !== 'object') {
    throw new BusError('BUS_INVALID_EVENT', `Expected an event object { type, data }, got ${String(input)}`);
  }
  assertEventType(input.type);
  if (input.data === undefined) {
    throw new BusError('BUS_INVALID_EVENT', `Expected the event \`data\` of "${input.type}" to be JSON-serialisable, got undefined`);
  }
  if (input.key !== undefined && typeof input.key !== 'string') {
    throw new BusError('BUS_INVALID_EVENT', `Expected the event \`key\` to be a string, got ${JSON.stringify(input.key)}`);
  }
  const time = input.time === undefined ? new Date().toISOString() : new Date(input.time).toISOString();

  const { traceparent: tpHeader, tracestate: tsHeader, ...headers } = input.headers ?? {};
  const ambient = tpHeader === undefined ? traceContext?.() : undefined;
  const traceparent = tpHeader ?? ambient?.traceparent;
  const tracestate = tpHeader === undefined ? ambient?.tracestate : tsHeader;

  return {
    specversion: '1.0',
    id: input.id ?? randomUUID(),
    source,
    type: input.type,
    time,
    datacontenttype: 'application/json',
    data: input.data,
    ...(traceparent === undefined ? {} : { traceparent }),
    ...(tracestate === undefined ? {} : { tracestate }),
    ...(input.key === undefined ? {} : { partitionkey: input.key }),
    ...(Object.keys(headers).length === 0 ? {} : { headers }),
  };
}

/** Serialises an envelope for the wire; a cyclic or BigInt payload fails here, at publish. */
export function encodeEnvelope(envelope: EventEnvelope): string {
  try {
    return JSON.stringify(envelope);
  } catch (cause) {
    throw new BusError('BUS_INVALID_EVENT', `The data of event "${envelope.type}" cannot be serialised to JSON`, { cause });
  }
}
