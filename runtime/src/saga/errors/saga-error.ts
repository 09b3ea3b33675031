/** Misuse of the orchestrator, as opposed to a step failing (which is an outcome, not an error). */
export type SagaErrorCode =
  /** A definition or option is invalid. */
  | 'SAGA_INVALID'
  /** `start` or `resume` met a saga name no registered definition has. */
  | 'SAGA_UNKNOWN'
  /** `start` or `run` with the id of a saga another instance is driving right now (or this instance lost its lease on it). */
  | 'SAGA_IN_PROGRESS'
  /** `run` with an id the saga log does not hold (never begun, or its transaction rolled back). */
  | 'SAGA_NOT_FOUND'
  /** The orchestrator was stopped. */
  | 'SAGA_STOPPED';

export class SagaError extends Error {
  override readonly name = 'SagaError';

  constructor(readonly code: SagaErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

export function isSagaError(err: unknown): err is SagaError {
  return err instanceof Error && err.name === 'SagaError' && typeof (err as { code?: unknown }).code === 'string';
}
