import { randomBytes } from 'node:crypto';

/** What a call propagates from the request being served. */
export interface CallContext {
  /** Sent as `X-Request-ID`. */
  readonly requestId?: string;
  /** The incoming W3C `traceparent`; the call sends a child of it. */
  readonly traceparent?: string;
  /** The incoming W3C `tracestate`, forwarded unchanged. */
  readonly tracestate?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The `traceparent` for an outgoing call: same trace id and flags as the
 * incoming one with a fresh parent (span) id, so the callee's span hangs
 * under this call; a new sampled trace when there is no valid incoming one.
 */
export function childTraceparent(incoming: string | undefined): string {
  const match = incoming === undefined ? null : TRACEPARENT.exec(incoming.trim().toLowerCase());
  const spanId = randomBytes(8).toString('hex');
  if (match && match[1] !== 'ff' && !/^0+$/.test(match[2]!) && !/^0+$/.test(match[3]!)) {
    return `00-${match[2]}-${spanId}-${match[4]}`;
  }
  return `00-${randomBytes(16).toString('hex')}-${spanId}-01`;
}

/** The context of an express (or node:http) request: its id (`req.id` from the service kit, else `X-Request-ID`) and trace headers. */
export function contextOfRequest(req: { readonly id?: unknown; readonly headers: Readonly<Record<string, string | string[] | undefined>> }): CallContext {
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const requestId = typeof req.id === 'string' ? req.id : header('x-request-id');
  const traceparent = header('traceparent');
  const tracestate = header('tracestate');
  return {
    ...(requestId !== undefined ? { requestId } : {}),
    ...(traceparent !== undefined ? { traceparent } : {}),
    ...(tracestate !== undefined ? { tracestate } : {}),
  };
}
