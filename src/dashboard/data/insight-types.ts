/**
 * What `openInsight` (insight.ts) answers and the dashboard's Events and
 * Sagas pages show: plain data, no imports, so the browser bundle shares
 * these types with the server instead of keeping copies.
 */
export interface DeadLetter {
  /** The event id; what `redrive(group, id)` takes. */
  readonly id: string;
  /** The consumer group (by default the consuming service's name). */
  readonly group: string;
  /** The service whose instance reported it. */
  readonly service: string;
  readonly type: string;
  /** The whole CloudEvents envelope: id, source, type, time, traceparent, data, … */
  readonly envelope: unknown;
  readonly lastError: string;
  readonly attempts: number;
  /** RFC 3339. */
  readonly failedAt: string;
}

export interface ConsumerGroupStats {
  readonly group: string;
  readonly service: string;
  /** The patterns the group is bound with, comma-separated (`order.*,user.created`). */
  readonly pattern: string;
  /** Events waiting in the group's queue (ready + handed out, not yet acknowledged). */
  readonly lag: number;
  readonly deadLetters: number;
}

export interface EventTypeStats {
  readonly type: string;
  /** Services that publish it (msx.yaml's `events.publishes`, plus what instances saw published). */
  readonly publishers: string[];
  /** Consumer groups whose patterns match it. */
  readonly consumers: ConsumerGroupStats[];
  /** Newest first, a bounded number per type. */
  readonly recent: { id: string; at: string; traceId?: string }[];
}

export interface SagaStep {
  readonly name: string;
  /** `running`, `completed`, `failed`, `compensating`, `compensated`, `compensation_failed`. */
  readonly state: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly error?: string;
}

/** `failed` is reserved: today's orchestrator ends every saga completed, compensated or stuck (runtime/src/saga/saga-query.ts defines stuck). */
export type SagaState = 'running' | 'compensating' | 'stuck' | 'completed' | 'compensated' | 'failed';

export interface SagaRecord {
  readonly id: string;
  /** The orchestrating service. */
  readonly service: string;
  /** The saga's name (its definition). */
  readonly saga: string;
  readonly state: SagaState;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly steps: SagaStep[];
  readonly error?: string;
}

export interface SystemInsight {
  events(): Promise<EventTypeStats[]>;
  /** Every group's dead letters, or one group's. */
  deadLetters(group?: string): Promise<DeadLetter[]>;
  /** Sends one dead letter (or all of a group's) back to the group's queue; resolves to how many were re-driven. */
  redrive(group: string, id: string | 'all'): Promise<number>;
  sagas(filter?: { service?: string; state?: string }): Promise<SagaRecord[]>;
}

