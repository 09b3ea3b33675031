/**
 * Creates the runtime's own tables (outbox, inbox, saga log, event store)
 * when a feature is first opened: idempotent DDL under a transaction-scoped
 * advisory lock, so instances starting together do not race on
 * `CREATE TABLE IF NOT EXISTS` (which PostgreSQL does not make atomic).
 * They live beside the service's own tables, outside its numbered
 * migrations, so upgrading the runtime never needs a migration in
 * generated code.
 */
import type { Database } from './database.js';

export async function applyRuntimeSchema(db: Database, ddl: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('msx:runtime-schema'))`);
    await tx.exec(ddl);
  });
}
