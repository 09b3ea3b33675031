/**
 * Request id and W3C trace context at the edge. An incoming `X-Request-ID`
 * or `traceparent` is kept when well formed, so a caller's ids survive the
 * gateway; otherwise the gateway starts them.
 */
import { randomFillSync } from 'node:crypto';

const REQUEST_ID = /^[\w.:@-]{1,128}$/;
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;
const ALL_ZERO_TRACE = '00000000000000000000000000000000';
const ALL_ZERO_SPAN = '0000000000000000';

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : newRequestId();
}

/** Variant nibble of an RFC 9562 UUID (10xx), from a random hex digit. */
const VARIANT = '89ab89ab89ab89ab';

/**
 * A random (version 4) UUID from the same byte pool as trace ids: the
 * gateway mints one per request, and `randomUUID()` refilling its own
 * small cache showed up in the gateway's profile as a cost of its own.
 */
export function newRequestId(): string {
  const hex = randomHex(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${VARIANT[parseInt(hex[16]!, 16)]}${hex.slice(17, 20)}-${hex.slice(20)}`;
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

/**
 * Random bytes for request, trace and span ids, drawn from a CSPRNG in
 * 64 KB refills: one `randomFillSync` serves about 1,600 requests, and a
 * slice of it becomes hex in one native call. Two `randomUUID()`s with
 * their dashes removed cost about five times as much per request.
 */
const POOL_BYTES = 65_536;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

export function newTraceparent(): string {
  let trace = randomHex(16);
  while (trace === ALL_ZERO_TRACE) trace = randomHex(16);
  let span = randomHex(8);
  while (span === ALL_ZERO_SPAN) span = randomHex(8);
  return `00-${trace}-${span}-01`;
}
