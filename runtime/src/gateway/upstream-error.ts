/**
 * Why an upstream call produced no response. `kind` decides the answer:
 * `timeout` → 504, `unavailable` (no instance, connection refused, circuit
 * open) → 503, `failed` (reset, protocol error) → 502. `tripsBreaker` says
 * whether it counts against the service's circuit breaker.
 */
export type UpstreamErrorKind = 'timeout' | 'unavailable' | 'circuit-open' | 'no-instance' | 'failed';

const STATUS: Readonly<Record<UpstreamErrorKind, 502 | 503 | 504>> = {
  timeout: 504,
  unavailable: 503,
  'circuit-open': 503,
  'no-instance': 503,
  failed: 502,
};

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly status: 502 | 503 | 504;
  readonly tripsBreaker: boolean;

  constructor(
    readonly kind: UpstreamErrorKind,
    readonly service: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = STATUS[kind];
    this.tripsBreaker = kind === 'timeout' || kind === 'unavailable' || kind === 'failed';
  }
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Classifies an undici or socket error by its `code`. */
export function classifyUpstreamError(err: unknown, service: string): UpstreamError {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return new UpstreamError('timeout', service, `${service} did not answer in time`, { cause: err });
  }
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) {
    return new UpstreamError('unavailable', service, `${service} refused the connection`, { cause: err });
  }
  return new UpstreamError('failed', service, `${service} failed before answering`, { cause: err });
}
