/**
 * A small, bounded memory of the events this bus published and handled
 * lately, for the admin surface's Events view (`/_msx/events`): which ids
 * of each type went by, when, and in which trace. Per process and lost on
 * restart by design: the broker (or the embedded database) is the durable
 * record; this only answers "what happened just now" without a broker API.
 */
import type { EventEnvelope } from './bus.js';

export interface RecentEvent {
  readonly id: string;
  readonly type: string;
  /** The event's own time (envelope `time`). */
  readonly time: string;
  /** The publishing service (envelope `source`). */
  readonly source: string;
  /** The trace the event travels in, from its `traceparent`. */
  readonly traceId?: string;
  /** `published` by this bus, or `consumed` by one of its groups. */
  readonly direction: 'published' | 'consumed';
  /** The consumer group, for `consumed`. */
  readonly group?: string;
  /** When this process saw it, RFC 3339. */
  readonly seenAt: string;
}

/** Kept per event type; older ones fall off. */
export const RECENT_PER_TYPE = 20;
/** Event types remembered; the least recently seen type is forgotten first. */
export const RECENT_TYPES = 100;

export class RecentEvents {
  /** Insertion order is recency order: a type seen again is moved to the end. */
  readonly #byType = new Map<string, RecentEvent[]>();

  record(envelope: EventEnvelope, direction: RecentEvent['direction'], group?: string): void {
    const traceId = traceIdOf(envelope.traceparent);
    const entry: RecentEvent = {
      id: envelope.id,
      type: envelope.type,
      time: envelope.time,
      source: envelope.source,
      direction,
      seenAt: new Date().toISOString(),
      ...(traceId ? { traceId } : {}),
      ...(group !== undefined ? { group } : {}),
    };
    const list = this.#byType.get(envelope.type) ?? [];
    this.#byType.delete(envelope.type);
    list.push(entry);
    if (list.length > RECENT_PER_TYPE) list.splice(0, list.length - RECENT_PER_TYPE);
    this.#byType.set(envelope.type, list);
    if (this.#byType.size > RECENT_TYPES) this.#byType.delete(this.#byType.keys().next().value!);
  }

  /** Every remembered event, newest first. */
  list(): RecentEvent[] {
    return [...this.#byType.values()].flat().sort((a, b) => (a.seenAt < b.seenAt ? 1 : a.seenAt > b.seenAt ? -1 : 0));
  }
}

/** The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`). */
function traceIdOf(traceparent: string | undefined): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent);
  return match?.[1];
}
