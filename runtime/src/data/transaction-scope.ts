/**
 * The `Transaction` handed to a `transaction()` callback, shared by both
 * engines: it forwards queries to the engine's transaction, collects
 * `onCommit` callbacks, and refuses use after the transaction ended (a
 * query on a released connection would silently run outside it).
 */
import type { Queryable, QueryResult, Transaction } from './database.js';
import { DatabaseError } from './errors/database-error.js';

export class TransactionScope {
  readonly transaction: Transaction;
  readonly #callbacks: (() => void)[] = [];
  #ended = false;

  constructor(runner: Queryable) {
    const guard = () => {
      if (this.#ended) throw new DatabaseError('DATABASE_CLOSED', 'This transaction has already ended; a query on it would run outside of it');
    };
    this.transaction = {
      query: <R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
        guard();
        return runner.query<R>(sql, params);
      },
      exec: (sql: string) => {
        guard();
        return runner.exec(sql);
      },
      onCommit: (callback: () => void) => {
        guard();
        this.#callbacks.push(callback);
      },
    };
  }

  /** Runs the `onCommit` callbacks; the transaction did commit, so their failures are not the caller's. */
  committed(): void {
    for (const callback of this.#callbacks.splice(0)) {
      try {
        callback();
      } catch {
        // deliberately ignored: see Transaction.onCommit
      }
    }
  }

  end(): void {
    this.#ended = true;
    this.#callbacks.length = 0;
  }
}
