/**
 * `@msx/runtime/data`: a database per service. PostgreSQL through `pg` when
 * a URL is configured, an embedded PostgreSQL (PGlite) otherwise — the same
 * SQL everywhere — with numbered migrations applied at start.
 *
 *   const db = await createDatabase({ service: 'users', migrationsDir: 'migrations', registry: service.metrics.registry });
 *   service.readiness.add('database', db.check);
 *   service.onClose('database', () => db.close());
 *   const { rows } = await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
 *   await db.transaction(async (tx) => { await tx.query(…); await outbox.add(tx, event); });
 *
 * On the local target the `msx up` supervisor calls `startEmbeddedPostgres`
 * once per service and hands its URL to every instance as `DATABASE_URL`.
 */
export type { Database, DatabaseKind, Queryable, QueryResult, Transaction } from './database.js';
export { createDatabase, type CreateDatabaseOptions, type DatabaseWithMigrations } from './create-database.js';
export { serveEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions, type ServedEmbeddedPostgres } from './embedded-server.js';
export { migrate, type MigrationResult } from './migrator.js';
export { DatabaseError, isDatabaseError, type DatabaseErrorCode } from './errors/database-error.js';
export { MigrationError, isMigrationError, type MigrationErrorCode } from './errors/migration-error.js';
export { isUniqueViolation, dataExceptionOf, sqlStateOf } from './sql-state.js';
export { DiskFullWatch, isDiskFull, type DiskFullWatchOptions } from './disk-full.js';
