/**
 * How the policy stack reads an error. It never looks at classes or message
 * text, only at fields, so errors from the service client, the gateway's
 * proxy and saga steps are classified alike (and across two copies of the
 * runtime package): `retryable: true`, an HTTP `status`, `retryAfterMs`.
 */
interface ClassifiableError {
  readonly retryable?: unknown;
  readonly status?: unknown;
  readonly retryAfterMs?: unknown;
}

/** The error says the same call may succeed if repeated (connection refused, timeout, 429, 502–504). */
export function isRetryableFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as ClassifiableError).retryable === true;
}

/**
 * The error says the called service is unwell, which is what a breaker
 * counts: unreachable, timing out, or answering 5xx. A 429 is the callee
 * protecting itself and any other 4xx is the caller's mistake; neither
 * should cut a healthy service off.
 */
export function isServiceFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { status, retryable } = error as ClassifiableError;
  if (typeof status === 'number') return status >= 500;
  return retryable === true;
}

/** The delay the callee asked for (`Retry-After`), in ms, if any. */
export function retryAfterOf(error: unknown): number | undefined {
  const value = typeof error === 'object' && error !== null ? (error as ClassifiableError).retryAfterMs : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
