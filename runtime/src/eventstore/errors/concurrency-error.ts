/**
 * An append expected the aggregate at one version but it had moved on:
 * someone else appended first. Nothing was written. The caller reloads the
 * aggregate and decides again (or answers 409).
 */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  readonly code = 'EVENTSTORE_CONCURRENCY' as const;
  /** Retrying the same command on a freshly loaded aggregate may succeed. */
  readonly retryable = true;
  readonly status = 409;

  constructor(
    readonly aggregateId: string,
    readonly expectedVersion: number,
    /** The version found, when known (a unique-key race reports only that it moved). */
    readonly actualVersion: number | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(
      `Aggregate "${aggregateId}" is not at version ${expectedVersion}${actualVersion === undefined ? ' any more' : ` but at ${actualVersion}`}: another writer appended first`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
  }
}

export function isConcurrencyError(err: unknown): err is ConcurrencyError {
  return err instanceof Error && (err as { code?: unknown }).code === 'EVENTSTORE_CONCURRENCY';
}
