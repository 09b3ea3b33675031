/**
 * Applies a service's migrations at start-up, so that every instance runs
 * against the schema its code expects.
 *
 * Each migration runs in its own transaction that first takes a
 * transaction-scoped advisory lock, re-checks `msx_migrations`, applies the
 * file and records it: a failure rolls back that migration whole (PostgreSQL
 * DDL is transactional), and instances starting together apply each file
 * once — the second waits for the lock, then sees it recorded. A
 * transaction-scoped lock (`pg_advisory_xact_lock`) rather than a session
 * lock because the shared embedded engine has one session for all
 * connections, where session locks would not exclude anyone.
 */
import type { Database, Queryable } from './database.js';
import { MigrationError } from './errors/migration-error.js';
import { readMigrationFiles, type MigrationFile } from './migration-files.js';

export interface MigrationResult {
  /** Files applied by this call, in order. */
  readonly applied: readonly string[];
  /** Files found already applied (by this or another instance). */
  readonly skipped: readonly string[];
}

const MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS msx_migrations (
  id         integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Key of the advisory lock every migrator of a database takes. */
const LOCK = `hashtext('msx:migrations')`;

/**
 * Applies the migrations in `dir` that `msx_migrations` does not record yet.
 * @throws MigrationError `MIGRATION_FAILED` (names the file, carries the SQLSTATE), `MIGRATION_CHANGED`, `MIGRATION_INVALID`.
 */
export async function migrate(db: Database, dir: string): Promise<MigrationResult> {
  const files = await readMigrationFiles(dir);
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${LOCK})`);
    await tx.exec(MIGRATIONS_TABLE);
  });
  await verifyApplied(db, files);

  const applied: string[] = [];
  const skipped: string[] = [];
  for (const file of files) {
    const didApply = await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${LOCK})`);
      const recorded = await recordedChecksum(tx, file.id);
      if (recorded !== undefined) {
        assertUnchanged(file, recorded);
        return false;
      }
      try {
        await tx.exec(file.sql);
      } catch (cause) {
        const sqlState = (cause as { code?: unknown }).code;
        throw new MigrationError(
          'MIGRATION_FAILED',
          `Migration ${file.name} failed and was rolled back (the schema is as before it): ${(cause as Error).message}${typeof sqlState === 'string' ? ` [SQLSTATE ${sqlState}]` : ''}`,
          { file: file.name, cause, ...(typeof sqlState === 'string' ? { sqlState } : {}) },
        );
      }
      await tx.query('INSERT INTO msx_migrations (id, name, checksum) VALUES ($1, $2, $3)', [file.id, file.name, file.checksum]);
      return true;
    });
    (didApply ? applied : skipped).push(file.name);
  }
  return { applied, skipped };
}

/** Fails before applying anything new when an applied file was edited since. */
async function verifyApplied(db: Queryable, files: readonly MigrationFile[]): Promise<void> {
  const { rows } = await db.query<{ id: number; checksum: string }>('SELECT id, checksum FROM msx_migrations');
  const recorded = new Map(rows.map((row) => [row.id, row.checksum]));
  for (const file of files) {
    const checksum = recorded.get(file.id);
    if (checksum !== undefined) assertUnchanged(file, checksum);
  }
}

async function recordedChecksum(tx: Queryable, id: number): Promise<string | undefined> {
  const { rows } = await tx.query<{ checksum: string }>('SELECT checksum FROM msx_migrations WHERE id = $1', [id]);
  return rows[0]?.checksum;
}

function assertUnchanged(file: MigrationFile, recorded: string): void {
  if (recorded !== file.checksum) {
    throw new MigrationError(
      'MIGRATION_CHANGED',
      `Migration ${file.name} was changed after it was applied (checksum ${file.checksum.slice(0, 12)}… differs from the recorded ${recorded.slice(0, 12)}…). Never edit an applied migration: add a new one.`,
      { file: file.name },
    );
  }
}
