/**
 * `createDatabase`: the one place that turns configuration into an engine,
 * then applies the service's migrations before anything else uses it.
 */
import { join, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { Database } from './database.js';
import { resolveDatabaseUrl } from './database-url.js';
import { openEmbeddedDatabase } from './embedded-database.js';
import { DatabaseError } from './errors/database-error.js';
import { migrate, type MigrationResult } from './migrator.js';
import { openPgDatabase } from './pg-database.js';
import { createQueryMetrics, observeQueryErrors } from './query-metrics.js';

export interface CreateDatabaseOptions {
  /** The owning service; names the embedded data directory and labels metrics. */
  readonly service: string;
  /**
   * `postgres://…` for a PostgreSQL server (or the URL `startEmbeddedPostgres`
   * gave the supervisor), `embedded` for an in-process engine on disk,
   * `embedded:memory` for one in memory. Default: env `DATABASE_URL`, else `embedded`.
   */
  readonly url?: string;
  /** Folder of numbered `.sql` migrations applied before this resolves. Default: none. */
  readonly migrationsDir?: string;
  /** Registry for `db_query_duration_seconds` (the one served at /metrics). Default: none. */
  readonly registry?: Registry;
  /**
   * Data directory of the in-process engine. Default: env `MSX_DATA_DIR`
   * (else `.msx/data` under the working directory) joined with the service name.
   */
  readonly dataDir?: string;
  /** `pg` pool size. Default 10 for a server, 2 for the embedded server (it serves one connection at a time anyway). */
  readonly poolSize?: number;
  /** Called with the error of every query that fails (a `DiskFullWatch`'s `observe`, say). */
  readonly onQueryError?: (error: unknown) => void;
}

export interface DatabaseWithMigrations extends Database {
  /** What start-up migration did (empty without `migrationsDir`). */
  readonly migrations: MigrationResult;
}

/**
 * Opens the service's database and applies its migrations.
 * @throws DatabaseError `DATABASE_CONFIG_INVALID`, `DATABASE_UNAVAILABLE`
 * @throws MigrationError when a migration fails or an applied one changed; the database is closed again.
 */
export async function createDatabase(options: CreateDatabaseOptions): Promise<DatabaseWithMigrations> {
  const service = options?.service;
  if (typeof service !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(service)) {
    throw new DatabaseError('DATABASE_CONFIG_INVALID', `Expected the \`service\` option to be a service name (letters, digits, "_", ".", "-"), got ${JSON.stringify(service)}`);
  }
  if (options.poolSize !== undefined && !(Number.isInteger(options.poolSize) && options.poolSize >= 1)) {
    throw new DatabaseError('DATABASE_CONFIG_INVALID', `Expected the \`poolSize\` option to be a positive integer, got ${String(options.poolSize)}`);
  }
  const target = resolveDatabaseUrl(options.url ?? process.env.DATABASE_URL);
  const metrics = observeQueryErrors(createQueryMetrics(service, target.kind, options.registry), options.onQueryError);

  let db: Database;
  if (target.kind === 'embedded') {
    const dataDir = target.inMemory ? undefined : options.dataDir ?? join(resolve(process.env.MSX_DATA_DIR || '.msx/data'), service);
    db = await openEmbeddedDatabase({ service, dataDir, metrics });
  } else {
    const max = options.poolSize ?? (target.kind === 'postgres' ? 10 : 2);
    db = await openPgDatabase({ service, kind: target.kind, url: target.url, max, metrics });
  }

  let migrations: MigrationResult = { applied: [], skipped: [] };
  if (options.migrationsDir !== undefined) {
    try {
      migrations = await migrate(db, options.migrationsDir);
    } catch (error) {
      await db.close().catch(() => {});
      throw error;
    }
  }
  return Object.assign(db, { migrations });
}
