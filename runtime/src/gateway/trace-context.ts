/**
 * Request id and W3C trace context at the edge. An incoming `X-Request-ID`
 * or `traceparent` is kept when well formed, so a caller's ids survive the
 * gateway; otherwise the gateway starts them.
 */
import { randomUUID } from 'node:crypto';

const REQUEST_ID = /^[\w.:@-]{1,128}$/;
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;
const ALL_ZERO_TRACE = '00000000000000000000000000000000';
const ALL_ZERO_SPAN = '0000000000000000';

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : randomUUID();
}

/** A valid incoming `traceparent` (version 00 or later), or a new sampled one. */
export function traceparentFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && value.length === 55 && TRACEPARENT.test(value) && !value.startsWith('ff')) {
    const traceId = value.slice(3, 35);
    const spanId = value.slice(36, 52);
    if (traceId !== ALL_ZERO_TRACE && spanId !== ALL_ZERO_SPAN) return value;
  }
  return newTraceparent();
}

export function newTraceparent(): string {
  // randomUUID is the cheapest CSPRNG source in node (it batches entropy); dashes removed it is 32 hex digits.
  const trace = randomUUID().replaceAll('-', '');
  const span = randomUUID().replaceAll('-', '').slice(0, 16);
  return `00-${trace}-${span}-01`;
}
