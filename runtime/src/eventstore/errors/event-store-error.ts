/** Misuse of the event store or an aggregate, as opposed to a concurrency conflict. */
export type EventStoreErrorCode =
  /** An aggregate met an event type it registered no handler for. */
  | 'EVENTSTORE_HANDLER_MISSING'
  /** A handler was registered twice for one type. */
  | 'EVENTSTORE_HANDLER_DUPLICATE'
  /** Bad arguments: empty aggregate id, negative version, event without type, … */
  | 'EVENTSTORE_INVALID'
  /** `publish` was given but the store has no outbox. */
  | 'EVENTSTORE_NO_OUTBOX';

export class EventStoreError extends Error {
  override readonly name = 'EventStoreError';
  readonly retryable = false;

  constructor(readonly code: EventStoreErrorCode, message: string) {
    super(message);
  }
}

export function isEventStoreError(err: unknown): err is EventStoreError {
  return err instanceof Error && err.name === 'EventStoreError' && typeof (err as { code?: unknown }).code === 'string';
}
