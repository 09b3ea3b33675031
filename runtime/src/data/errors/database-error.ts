/**
 * The data helper's error for configuration and engine failures. Callers
 * branch on `code`; a SQL error from the engine stays the driver's error
 * (with its SQLSTATE in `code`), so `23505` checks keep working.
 */
export type DatabaseErrorCode =
  /** `createDatabase` / `startEmbeddedPostgres` got an option it cannot use. */
  | 'DATABASE_CONFIG_INVALID'
  /** The engine could not be opened or reached at start-up. */
  | 'DATABASE_UNAVAILABLE'
  /** The database was closed. */
  | 'DATABASE_CLOSED';

export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  readonly code: DatabaseErrorCode;
  readonly retryable: boolean;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: DatabaseErrorCode, message: string, options: { cause?: unknown; data?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = code === 'DATABASE_UNAVAILABLE';
    this.data = options.data ?? {};
  }
}

/** Brand check that works across two copies of the runtime package. */
export function isDatabaseError(err: unknown): err is DatabaseError {
  return err instanceof Error && err.name === 'DatabaseError' && typeof (err as { code?: unknown }).code === 'string';
}
