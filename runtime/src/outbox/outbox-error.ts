/** Errors of the outbox and inbox; callers branch on `code`. */
export type OutboxErrorCode =
  /** `outbox.add` got an event it can never publish (bad type, unserialisable data). */
  | 'OUTBOX_INVALID_EVENT'
  /** Bad relay or inbox options. */
  | 'OUTBOX_CONFIG_INVALID';

export class OutboxError extends Error {
  override readonly name = 'OutboxError';
  readonly retryable = false;

  constructor(readonly code: OutboxErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export function isOutboxError(err: unknown): err is OutboxError {
  return err instanceof Error && err.name === 'OutboxError' && typeof (err as { code?: unknown }).code === 'string';
}
