/**
 * `Database` over a `pg` Pool: a PostgreSQL server, or the embedded engine
 * that the `msx up` supervisor serves on the wire protocol (see
 * `embedded-server.ts`). `pg` is loaded lazily so services on the
 * in-process engine never pay for it.
 */
import type { CustomTypesConfig, Pool, PoolClient } from 'pg';
import type { Database, DatabaseKind, QueryResult, Transaction } from './database.js';
import { DatabaseError } from './errors/database-error.js';
import type { QueryMetrics } from './query-metrics.js';
import { TransactionScope } from './transaction-scope.js';
import { loadPg } from './pg-module.js';
import { redactUrl } from '../config/redact-url.js';

const INT8_OID = 20;

/** Parses `int8` as a JS number (as the embedded engine is told to) instead of pg's default string. */
function typeParsers(types: typeof import('pg').types): CustomTypesConfig {
  const getTypeParser = (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : types.getTypeParser(oid, format ?? 'text');
  return { getTypeParser } as CustomTypesConfig;
}

export interface PgDatabaseOptions {
  readonly service: string;
  readonly kind: Extract<DatabaseKind, 'postgres' | 'embedded-server'>;
  readonly url: string;
  /** Pool size. */
  readonly max: number;
  readonly metrics: QueryMetrics;
}

export async function openPgDatabase(options: PgDatabaseOptions): Promise<Database> {
  const pg = await loadPg();
  const pool: Pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    types: typeParsers(pg.types),
    application_name: options.service,
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (cause) {
    await pool.end().catch(() => {});
    throw new DatabaseError('DATABASE_UNAVAILABLE', `Cannot connect to the ${options.kind === 'postgres' ? 'PostgreSQL server' : 'embedded engine'} at ${redactUrl(options.url)}: ${(cause as Error).message}`, { cause, data: { url: redactUrl(options.url) } });
  }
  return new PgDatabase(options, pool);
}

class PgDatabase implements Database {
  readonly service: string;
  readonly kind: PgDatabaseOptions['kind'];
  readonly #pool: Pool;
  readonly #metrics: QueryMetrics;
  #closed: Promise<void> | undefined;

  constructor(options: PgDatabaseOptions, pool: Pool) {
    this.service = options.service;
    this.kind = options.kind;
    this.#pool = pool;
    this.#metrics = options.metrics;
  }

  readonly check = async (): Promise<void> => {
    await this.query('SELECT 1');
  };

  async query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    this.#assertOpen();
    return timed(this.#metrics, this.#pool, sql, params);
  }

  async exec(sql: string): Promise<void> {
    this.#assertOpen();
    await timed(this.#metrics, this.#pool, sql, undefined);
  }

  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const client: PoolClient = await this.#pool.connect();
    const scope = new TransactionScope({
      query: <R>(sql: string, params?: readonly unknown[]) => timed<R>(this.#metrics, client, sql, params ?? []),
      exec: async (sql) => { await timed(this.#metrics, client, sql, undefined); },
    });
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      let result: T;
      try {
        result = await work(scope.transaction);
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError; });
        throw error;
      }
      await client.query('COMMIT');
      scope.committed();
      return result;
    } catch (error) {
      // A failed COMMIT or ROLLBACK may leave the connection unusable: drop it from the pool.
      broken ??= error instanceof Error && !('severity' in error) ? error : undefined;
      throw error;
    } finally {
      scope.end();
      client.release(broken);
    }
  }

  close(): Promise<void> {
    this.#closed ??= this.#pool.end();
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new DatabaseError('DATABASE_CLOSED', `The database of service "${this.service}" is closed`);
  }
}

interface PgRunner {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** Runs one statement (with params: extended protocol) or a script (without: simple protocol, several statements allowed). */
async function timed<R>(metrics: QueryMetrics, runner: PgRunner, sql: string, params: readonly unknown[] | undefined): Promise<QueryResult<R>> {
  const end = metrics.start();
  try {
    const result = params === undefined ? await runner.query(sql) : await runner.query(sql, [...params]);
    end('ok');
    return { rows: (Array.isArray(result) ? [] : result.rows) as R[], rowCount: (Array.isArray(result) ? 0 : result.rowCount) ?? 0 };
  } catch (error) {
    end('error', error);
    throw error;
  }
}
