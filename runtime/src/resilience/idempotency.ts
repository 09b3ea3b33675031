/** Methods that RFC 9110 defines as idempotent (TRACE aside): repeating them has the effect of sending them once. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Whether a call may be retried: its method is idempotent, or the caller
 * sent an `Idempotency-Key`, promising that the callee deduplicates repeats.
 */
export function isIdempotent(method: string, idempotencyKey?: string | undefined): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase()) || (idempotencyKey !== undefined && idempotencyKey !== '');
}
