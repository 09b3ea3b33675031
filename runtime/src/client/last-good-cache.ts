import type { IncomingHttpHeaders } from 'node:http';
import type { InstanceRef } from './errors/service-call-error.js';

/** Default bound of a client's kept answers. At a few KB per answer, some MB at most. */
export const DEFAULT_LAST_GOOD_ENTRIES = 1000;

export interface KeptAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  readonly instance: InstanceRef;
  /** `Date.now()` when it was answered. */
  readonly at: number;
}

/**
 * The last good answers of one client's reads that asked for a last-good
 * fallback, least recently used first out once `maxEntries` are kept.
 * Keyed by service, method, path and query (not headers: see the client's
 * README on answers that depend on who asks). In memory, per process: a
 * restarted caller starts empty, and each instance keeps its own.
 *
 * A Map keeps insertion order, so re-inserting on every read or write makes
 * its first key the least recently used one; that is the whole LRU, which is
 * why this is not a new dependency of every generated system.
 */
export class LastGoodCache {
  private readonly entries = new Map<string, KeptAnswer>();

  constructor(readonly maxEntries: number = DEFAULT_LAST_GOOD_ENTRIES) {}

  static key(service: string, method: string, pathWithQuery: string): string {
    return `${service} ${method} ${pathWithQuery}`;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): KeptAnswer | undefined {
    const kept = this.entries.get(key);
    if (kept === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, kept);
    return kept;
  }

  set(key: string, answer: KeptAnswer): void {
    this.entries.delete(key);
    this.entries.set(key, answer);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
