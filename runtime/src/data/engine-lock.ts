/**
 * First-come-first-served ownership of the one embedded backend. The owner
 * keeps it across batches while it is inside a transaction, so another
 * connection's statements can never land in that transaction.
 */
export class EngineLock<Owner> {
  #owner: Owner | undefined;
  readonly #waiters: { owner: Owner; resolve: () => void; reject: (error: Error) => void }[] = [];

  get owner(): Owner | undefined {
    return this.#owner;
  }

  /** Resolves once `owner` holds the lock (at once if it already does). */
  acquire(owner: Owner): Promise<void> {
    if (this.#owner === owner) return Promise.resolve();
    if (this.#owner === undefined) {
      this.#owner = owner;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#waiters.push({ owner, resolve, reject }));
  }

  /** Hands the lock to the next waiter; a no-op unless `owner` holds it. */
  release(owner: Owner): void {
    if (this.#owner !== owner) return;
    const next = this.#waiters.shift();
    this.#owner = next?.owner;
    next?.resolve();
  }

  /** Drops `owner`'s pending acquire (its connection closed). */
  abandon(owner: Owner, reason: Error): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.owner === owner) {
        this.#waiters.splice(i, 1);
        waiter.reject(reason);
      }
    }
  }
}
