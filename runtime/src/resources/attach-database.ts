import { createDatabase, type DatabaseWithMigrations } from '../data/index.js';
import type { Service } from '../service/service.js';

export interface AttachDatabaseOptions {
  /** Folder of numbered `.sql` migrations, applied before this resolves. */
  readonly migrationsDir?: string;
  /** Default: env `DATABASE_URL` (as the service sees it), else the embedded engine. */
  readonly url?: string;
}

/** Opens the service's database, applies its migrations, and ties it to `/ready` and shutdown. */
export async function attachDatabase(service: Service, options: AttachDatabaseOptions = {}): Promise<DatabaseWithMigrations> {
  const db = await createDatabase({
    service: service.name,
    url: options.url ?? process.env.DATABASE_URL,
    migrationsDir: options.migrationsDir,
    registry: service.metrics.registry,
  });
  service.onClose('database', () => db.close());
  service.readiness.add('database', db.check);
  return db;
}
