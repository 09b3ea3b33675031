/**
 * `Database` on an in-process PGlite. PGlite is one PostgreSQL backend in
 * one process, so this suits a single instance only (tests, a service that
 * is never scaled); scaled services on the local target connect with `pg`
 * to the engine the supervisor serves (`startEmbeddedPostgres`).
 * Everything runs one statement at a time; a transaction holds the engine
 * until it ends.
 */
import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import type { Database, QueryResult, Transaction } from './database.js';
import { DatabaseError } from './errors/database-error.js';
import { openEmbeddedEngine } from './embedded-engine.js';
import type { QueryMetrics } from './query-metrics.js';
import { TransactionScope } from './transaction-scope.js';

export interface EmbeddedDatabaseOptions {
  readonly service: string;
  /** Data directory; `undefined` keeps the database in memory. */
  readonly dataDir: string | undefined;
  readonly metrics: QueryMetrics;
}

export async function openEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<Database> {
  return new EmbeddedDatabase(options, await openEmbeddedEngine(options.dataDir));
}

type Runner = Pick<PGlite | PGliteTransaction, 'query' | 'exec'>;

class EmbeddedDatabase implements Database {
  readonly service: string;
  readonly kind = 'embedded' as const;
  readonly #engine: PGlite;
  readonly #metrics: QueryMetrics;
  #closed: Promise<void> | undefined;

  constructor(options: EmbeddedDatabaseOptions, engine: PGlite) {
    this.service = options.service;
    this.#engine = engine;
    this.#metrics = options.metrics;
  }

  readonly check = async (): Promise<void> => {
    await this.query('SELECT 1');
  };

  async query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    this.#assertOpen();
    return this.#run<R>(this.#engine, sql, params);
  }

  async exec(sql: string): Promise<void> {
    this.#assertOpen();
    await this.#run(this.#engine, sql, undefined);
  }

  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    this.#assertOpen();
    let scope: TransactionScope | undefined;
    try {
      const result = await this.#engine.transaction(async (engineTx) => {
        scope = new TransactionScope({
          query: <R>(sql: string, params?: readonly unknown[]) => this.#run<R>(engineTx, sql, params ?? []),
          exec: async (sql) => { await this.#run(engineTx, sql, undefined); },
        });
        return work(scope.transaction);
      });
      scope?.committed();
      return result;
    } finally {
      scope?.end();
    }
  }

  close(): Promise<void> {
    this.#closed ??= this.#engine.close();
    return this.#closed;
  }

  async #run<R>(runner: Runner, sql: string, params: readonly unknown[] | undefined): Promise<QueryResult<R>> {
    const end = this.#metrics.start();
    try {
      if (params === undefined) {
        await runner.exec(sql);
        end('ok');
        return { rows: [], rowCount: 0 };
      }
      const result = await runner.query<R>(sql, [...params]);
      end('ok');
      return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
    } catch (error) {
      end('error', error);
      throw error;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new DatabaseError('DATABASE_CLOSED', `The database of service "${this.service}" is closed`);
  }
}
