/** The shapes of events going into and coming out of the event store. */

/** A domain event to append. */
export interface NewEvent<T = unknown> {
  /** Past-tense name, e.g. `OrderCreated`. */
  readonly type: string;
  /** JSON-serialisable payload. */
  readonly data: T;
  /** Causation, correlation, user, trace context… */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface StoredEvent<T = unknown> {
  readonly aggregateId: string;
  /** 1 for the aggregate's first event, then +1 per event, without gaps. */
  readonly version: number;
  readonly type: string;
  readonly data: T;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly recordedAt: Date;
}

export interface Snapshot<S = unknown> {
  readonly aggregateId: string;
  /** Version of the last event folded into `state`. */
  readonly version: number;
  readonly state: S;
}
