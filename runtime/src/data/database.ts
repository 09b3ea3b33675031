/**
 * The data helper every service gets from `createDatabase`: one interface
 * whether the engine is PostgreSQL through `pg`, the embedded engine served
 * by the `msx up` supervisor (also through `pg`), or an in-process PGlite.
 * Service code, the outbox, the saga log and the event store use only this.
 */

/** One result of a query. */
export interface QueryResult<R = Record<string, unknown>> {
  readonly rows: R[];
  /** Rows returned or affected (INSERT/UPDATE/DELETE), 0 when unknown. */
  readonly rowCount: number;
}

/** Anything that runs SQL: the database itself (auto-commit) or a transaction. */
export interface Queryable {
  /**
   * Runs ONE statement with `$1…` parameters. Values are sent as text
   * (objects as JSON). Results: `int8`/`bigint` come back as JS numbers
   * (exact up to 2^53), `numeric` as strings, `timestamptz` as `Date`,
   * `json`/`jsonb` parsed — identically on every engine.
   */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of one or more statements without parameters (DDL, migrations). */
  exec(sql: string): Promise<void>;
}

/** A transaction in progress: queries on it commit or roll back together. */
export interface Transaction extends Queryable {
  /**
   * Runs `callback` after this transaction commits (never if it rolls
   * back), e.g. to nudge the outbox relay. A throwing callback is ignored:
   * the commit already happened.
   */
  onCommit(callback: () => void): void;
}

export interface Database extends Queryable {
  /** The owning service. */
  readonly service: string;
  /** `postgres` (a server via `pg`), `embedded-server` (the supervisor's shared engine via `pg`) or `embedded` (in-process PGlite). */
  readonly kind: DatabaseKind;
  /**
   * Runs `work` in a transaction: BEGIN, then COMMIT when it resolves, or
   * ROLLBACK when it throws (the error is rethrown). Use only `tx` inside:
   * a query on the database itself would run outside the transaction (and,
   * on the single-session embedded engines, wait for it to finish).
   */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Readiness check: resolves when the engine answers. Pass to `service.readiness.add('database', db.check)`. */
  readonly check: () => Promise<void>;
  /** Closes the pool or engine; waits for running queries. Idempotent. */
  close(): Promise<void>;
}

export type DatabaseKind = 'postgres' | 'embedded-server' | 'embedded';
