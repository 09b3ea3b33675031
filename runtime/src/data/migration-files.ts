/**
 * Reads a service's numbered migrations: `migrations/001_create_users.sql`,
 * `002_…`. Numbers order them and identify them in `msx_migrations`; the
 * checksum (SHA-256 of the file) detects an applied migration edited later.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationError } from './errors/migration-error.js';

export interface MigrationFile {
  readonly id: number;
  /** File base name, e.g. `001_create_users.sql`. */
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const MIGRATION_NAME = /^(\d+)_([A-Za-z0-9_.-]+)\.sql$/;

/** The folder's migrations in order. A missing folder means none; a stray `.sql` name is an error. */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new MigrationError('MIGRATION_INVALID', `Cannot read the migrations folder ${dir}: ${(cause as Error).message}`, { cause });
  }
  const files: MigrationFile[] = [];
  const byId = new Map<number, string>();
  for (const name of names.filter((n) => n.endsWith('.sql')).sort()) {
    const match = MIGRATION_NAME.exec(name);
    if (!match) {
      throw new MigrationError('MIGRATION_INVALID', `Migration file ${name} in ${dir} is misnamed: expected NNN_description.sql, e.g. 001_create_users.sql`, { file: name });
    }
    const id = Number(match[1]);
    const clash = byId.get(id);
    if (clash !== undefined) {
      throw new MigrationError('MIGRATION_INVALID', `Migrations ${clash} and ${name} in ${dir} share the number ${id}`, { file: name });
    }
    byId.set(id, name);
    const sql = await readFile(join(dir, name), 'utf8');
    files.push({ id, name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return files.sort((a, b) => a.id - b.id);
}
