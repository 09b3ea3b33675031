/**
 * Bounded LRU of successful token verifications, keyed by the token string.
 * A gateway sees the same token on every request of a session; paying an
 * HMAC or RSA verification each time is the largest cost of the request
 * path, and a token's verdict cannot change before it expires (the
 * signature covers every claim). Entries are never served at or after
 * their `exp`: an expired token always goes back through full
 * verification, which rejects it.
 */
export class VerificationCache<T extends { readonly exp: number }> {
  readonly #entries = new Map<string, T>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) {
      throw new TypeError(`Expected maxEntries to be a non-negative integer, got ${String(maxEntries)}`);
    }
  }

  /** The cached verdict for `token` if it is still before its `exp` (seconds since epoch) at `nowSec`. */
  get(token: string, nowSec: number): T | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.exp <= nowSec) {
      this.#entries.delete(token);
      return undefined;
    }
    // Re-insert so Map order tracks recency: the first key is the least recently used.
    this.#entries.delete(token);
    this.#entries.set(token, entry);
    return entry;
  }

  set(token: string, value: T): void {
    if (this.maxEntries === 0) return;
    this.#entries.delete(token);
    this.#entries.set(token, value);
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
