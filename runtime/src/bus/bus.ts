/**
 * The event bus: the one interface every adapter (RabbitMQ in `amqp.ts`, the
 * broker-less SQLite one in `embedded.ts`) implements. Services, the outbox
 * relay, sagas and the event store talk to this interface only; `index.ts`
 * resolves configuration to an adapter in one place.
 *
 * Delivery is at least once. A consumer group (by default the service name)
 * gets each matching event once across its instances; different groups each
 * get every event. A group's queue exists from its first `subscribe` on, so
 * events published while the group's service is down wait for it.
 */
import type { RecentEvent } from './recent-events.js';

/** What a publisher provides; the bus fills in the rest of the envelope. */
export interface PublishInput<T = unknown> {
  /** Event type and routing key, dot-separated words: `order.created`. */
  readonly type: string;
  /** JSON-serialisable payload. */
  readonly data: T;
  /** Partition key (e.g. the aggregate id), carried as `partitionkey`. */
  readonly key?: string;
  /**
   * Extra string attributes. `traceparent` / `tracestate` here override the
   * bus's `traceContext` provider; the rest travel in `envelope.headers`.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Event id; give one to make re-publishing idempotent (outbox). Default: a random UUID. */
  readonly id?: string;
  /** Occurrence time. Default: now. */
  readonly time?: Date | string;
}

/**
 * CloudEvents 1.0 envelope (structured JSON mode) with the distributed-tracing
 * and partitioning extensions. This exact object is what travels on the wire.
 */
export interface EventEnvelope<T = unknown> {
  readonly specversion: '1.0';
  readonly id: string;
  /** The publishing service. */
  readonly source: string;
  readonly type: string;
  /** RFC 3339 timestamp. */
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: T;
  /** W3C trace context of the publishing span, when there was one. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** CloudEvents partitioning extension: the publisher's `key`. */
  readonly partitionkey?: string;
  /** Publisher-supplied headers other than the trace context. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a handler knows about this particular delivery. */
export interface DeliveryContext {
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
  /**
   * True when the transport handed this delivery out before without an
   * outcome (a consumer crashed or lost its connection mid-handler), so the
   * handler may already have run: idempotent consumers check `envelope.id`.
   */
  readonly redelivered: boolean;
  /** The consumer group the delivery was made to. */
  readonly group: string;
}

/**
 * Handles one event. Resolving acknowledges it; throwing (or rejecting)
 * schedules a retry with backoff, and after the last attempt moves the event
 * to the group's dead letters. Other events keep flowing meanwhile.
 */
export type EventHandler<T = unknown> = (event: EventEnvelope<T>, context: DeliveryContext) => Promise<void> | void;

/** Delay between attempts: `initialMs * factor^(retry-1)`, capped at `maxMs`. */
export interface BackoffOptions {
  /** Delay before the first retry. Default 1000. */
  readonly initialMs?: number;
  /** Growth per retry. Default 2. */
  readonly factor?: number;
  /** Upper bound of one delay. Default 60000. */
  readonly maxMs?: number;
}

export interface SubscribeOptions {
  /**
   * Consumer group: subscriptions with the same group share one durable
   * queue and compete for its events (instances of one service, or several
   * handlers in one process). Default: the bus's `service`.
   */
  readonly group?: string;
  /** Retries after the first failed attempt before dead-lettering. Default 5. */
  readonly retries?: number;
  readonly backoff?: BackoffOptions;
  /** Events handled concurrently by this subscription (AMQP prefetch). Default 16. */
  readonly concurrency?: number;
}

/** A running consumer. Closing it stops consuming; the group's queue and its events stay. */
export interface Subscription {
  readonly group: string;
  readonly patterns: readonly string[];
  /** Stops taking new events and waits for in-flight handlers to finish. */
  close(): Promise<void>;
}

/** An event that exhausted its attempts, kept for inspection. */
export interface DeadLetter {
  readonly event: EventEnvelope;
  readonly group: string;
  readonly attempts: number;
  /** Message of the last handler error. */
  readonly error: string;
  /** RFC 3339 time it was dead-lettered. */
  readonly failedAt: string;
}

/** A consumer group this bus consumes for, and what waits in it. */
export interface ConsumerGroupState {
  readonly group: string;
  /** The topic patterns the group's queue is bound with. */
  readonly patterns: readonly string[];
  /**
   * Events in the group's queue not yet acknowledged: waiting, being handled,
   * or waiting for a retry. (RabbitMQ: ready messages of the group's queue
   * and of its delay queues; messages handed to a consumer are not counted.)
   */
  readonly pending: number;
  readonly deadLetters: number;
}

export interface EventBus {
  /** Name of the adapter, e.g. `amqp` or `embedded` (for logs and `/ready`). */
  readonly kind: string;
  /** The publishing service, used as the envelope's `source`. */
  readonly service: string;
  /**
   * Publishes one event. Resolves once it is durably accepted (broker
   * confirm, or committed to the embedded database); rejects with a
   * `BusError` otherwise — never drops an event silently. While the
   * transport reconnects, it waits up to the bus's `publishTimeoutMs`.
   */
  publish<T>(input: PublishInput<T>): Promise<EventEnvelope<T>>;
  /**
   * Subscribes `handler` to events whose type matches `pattern` (AMQP topic
   * semantics: `*` is exactly one word, `#` zero or more; an array binds
   * several patterns to the same group). Resolves once the group's durable
   * queue and its bindings exist.
   */
  subscribe<T = unknown>(pattern: string | readonly string[], handler: EventHandler<T>, options?: SubscribeOptions): Promise<Subscription>;
  /**
   * Whether the transport is usable right now (connected to the broker, or
   * the database open): for the service's `/ready`. While false, `publish`
   * waits up to `publishTimeoutMs` rather than failing at once.
   */
  isReady(): boolean;
  /** Up to `limit` (default 100) dead letters of `group`, oldest first, left in place. */
  deadLetters(group: string, limit?: number): Promise<readonly DeadLetter[]>;
  /** How many dead letters `group` holds (0 for a group that never subscribed). */
  countDeadLetters(group: string): Promise<number>;
  /**
   * Moves the dead letter of `group` whose event id is `eventId` (or every
   * dead letter of the group, for `'all'`) back to the group's queue, as a
   * first attempt: the group's handler gets it again, and if it fails again
   * it is retried and dead-lettered anew, with its new error. Only that
   * group gets it, never the other groups bound to the event's type.
   * Resolves to how many were moved (0 when there was no such dead letter).
   */
  redrive(group: string, eventId: string | 'all'): Promise<number>;
  /** The groups this bus subscribed to, with what waits in each. */
  consumerGroups(): Promise<readonly ConsumerGroupState[]>;
  /** The events this bus published or handled lately, newest first (bounded; `recent-events.ts`). */
  recentEvents(): readonly RecentEvent[];
  /** Closes every subscription (waiting for in-flight handlers) and the transport. */
  close(): Promise<void>;
}
