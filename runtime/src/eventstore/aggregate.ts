/**
 * Base class of an event-sourced aggregate. State changes only by events:
 * a command method validates, then `raise`s an event, whose handler folds
 * it into the state. Handlers are registered explicitly with `on(type, …)`
 * in the constructor, never looked up by method or class name, which
 * bundlers and minifiers rename.
 *
 *   class Order extends Aggregate<OrderState> {
 *     constructor(id: string) {
 *       super(id, { status: 'new', items: [] });
 *       this.on<{ items: Item[] }>('OrderCreated', (state, data) => ({ ...state, status: 'pending', items: data.items }));
 *       this.on('OrderConfirmed', (state) => ({ ...state, status: 'confirmed' }));
 *     }
 *     create(items: Item[]) {
 *       if (this.version > 0 || this.pendingEvents.length > 0) throw new Error('exists');
 *       this.raise('OrderCreated', { items });
 *     }
 *   }
 *
 * The state must be JSON-serialisable: snapshots store it as JSON.
 */
import { EventStoreError } from './errors/event-store-error.js';
import type { NewEvent, StoredEvent } from './events.js';

/** Folds one event into the state; returns the new state (or mutates and returns the same object). */
export type EventHandler<S, T = unknown> = (state: S, data: T, event: { readonly type: string; readonly version: number; readonly metadata: Readonly<Record<string, unknown>> }) => S;

export abstract class Aggregate<S> {
  readonly id: string;
  readonly #handlers = new Map<string, EventHandler<S>>();
  #state: S;
  #version = 0;
  #pending: NewEvent[] = [];

  protected constructor(id: string, initialState: S) {
    if (typeof id !== 'string' || id === '') throw new EventStoreError('EVENTSTORE_INVALID', `Expected an aggregate id (non-empty string), got ${JSON.stringify(id)}`);
    this.id = id;
    this.#state = initialState;
  }

  /** The state after every persisted and pending event. */
  get state(): S {
    return this.#state;
  }

  /** Version of the last persisted event (0: none yet). */
  get version(): number {
    return this.#version;
  }

  /** Events raised since the aggregate was loaded or saved. */
  get pendingEvents(): readonly NewEvent[] {
    return this.#pending;
  }

  /** Registers the handler of one event type. Call it in the constructor, once per type. */
  protected on<T>(type: string, handler: EventHandler<S, T>): void {
    if (this.#handlers.has(type)) throw new EventStoreError('EVENTSTORE_HANDLER_DUPLICATE', `${this.describe()} registers two handlers for "${type}"`);
    this.#handlers.set(type, handler as EventHandler<S>);
  }

  /** Records a new event: applies it to the state now, and queues it for the next save. */
  protected raise<T>(type: string, data: T, metadata: Readonly<Record<string, unknown>> = {}): void {
    this.#state = this.#apply(type, data, this.#version + this.#pending.length + 1, metadata);
    this.#pending.push({ type, data, metadata });
  }

  /** Rebuilds from history. Used by the repository. */
  replay(events: readonly StoredEvent[]): void {
    for (const event of events) {
      if (event.version !== this.#version + 1) {
        throw new EventStoreError('EVENTSTORE_INVALID', `${this.describe()} expected event version ${this.#version + 1}, got ${event.version}`);
      }
      this.#state = this.#apply(event.type, event.data, event.version, event.metadata);
      this.#version = event.version;
    }
  }

  /** Starts from a snapshot. Used by the repository. */
  restore(state: S, version: number): void {
    this.#state = state;
    this.#version = version;
  }

  /** Marks the pending events as persisted at `version`. Used by the repository. */
  markSaved(version: number): void {
    this.#version = version;
    this.#pending = [];
  }

  #apply(type: string, data: unknown, version: number, metadata: Readonly<Record<string, unknown>>): S {
    const handler = this.#handlers.get(type);
    if (handler === undefined) {
      throw new EventStoreError('EVENTSTORE_HANDLER_MISSING', `${this.describe()} has no handler for event "${type}": register one with this.on("${type}", …)`);
    }
    return handler(this.#state, data, { type, version, metadata });
  }

  /** How errors name this aggregate: by its id (class names do not survive minifiers). */
  protected describe(): string {
    return `Aggregate "${this.id}"`;
  }
}
