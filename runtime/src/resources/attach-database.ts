import { createDatabase, DiskFullWatch, type DatabaseWithMigrations } from '../data/index.js';
import type { Service } from '../service/service.js';

export interface AttachDatabaseOptions {
  /** Folder of numbered `.sql` migrations, applied before this resolves. */
  readonly migrationsDir?: string;
  /** Default: env `DATABASE_URL` (as the service sees it), else the embedded engine. */
  readonly url?: string;
}

/**
 * Opens the service's database, applies its migrations, and ties it to
 * `/ready` and shutdown. `/ready` also turns 503 while writes fail for lack
 * of disk space (reads still pass `SELECT 1`), and the first such failure
 * is logged, so a full disk shows where operators look.
 */
export async function attachDatabase(service: Service, options: AttachDatabaseOptions = {}): Promise<DatabaseWithMigrations> {
  const diskFull = new DiskFullWatch({
    onDiskFull: (err) => service.log.error({ err }, "database writes fail: no space left on the database's disk; /ready reports not ready until space is freed"),
  });
  const db = await createDatabase({
    service: service.name,
    url: options.url ?? process.env.DATABASE_URL,
    migrationsDir: options.migrationsDir,
    registry: service.metrics.registry,
    onQueryError: diskFull.observe,
  });
  service.onClose('database', () => db.close());
  service.readiness.add('database', async () => {
    diskFull.check();
    await db.check();
  });
  return db;
}
