/**
 * A migration could not be applied, or the migrations on disk disagree
 * with what the database recorded. The service must not start: `/ready`
 * would lie about a schema the code does not expect.
 */
export type MigrationErrorCode =
  /** A migration's SQL failed; its transaction was rolled back, the schema is as before it. */
  | 'MIGRATION_FAILED'
  /** An already-applied migration file changed since (checksum mismatch). */
  | 'MIGRATION_CHANGED'
  /** The migrations folder is unreadable, or holds a misnamed or duplicate-numbered file. */
  | 'MIGRATION_INVALID';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly code: MigrationErrorCode;
  readonly retryable = false;
  /** The migration file (base name), when one is at fault. */
  readonly file: string | undefined;
  /** The engine's SQLSTATE (`42P01`, …) for `MIGRATION_FAILED`. */
  readonly sqlState: string | undefined;

  constructor(code: MigrationErrorCode, message: string, options: { file?: string; sqlState?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.sqlState = options.sqlState;
  }
}

export function isMigrationError(err: unknown): err is MigrationError {
  return err instanceof Error && err.name === 'MigrationError' && typeof (err as { code?: unknown }).code === 'string';
}
