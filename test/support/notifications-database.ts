/**
 * A PostgreSQL database of its own for the shop's notifications service
 * (the local target honours NOTIFICATIONS_DATABASE_URL), so a test can make
 * its event handler fail without touching the templates: `breakHandler`
 * renames the `notifications` table away (the handler's INSERT fails, the
 * event goes to the dead letters), `fixHandler` renames it back.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface NotificationsDatabase {
  /** What to give `msx up` as NOTIFICATIONS_DATABASE_URL. */
  readonly url: string;
  /** Connects for the test's own queries; call once notifications has migrated it (after `msx up`). */
  connect(): Promise<void>;
  breakHandler(): Promise<void>;
  fixHandler(): Promise<void>;
  /** How many notifications were stored for one event. */
  notificationsOf(eventId: string): Promise<number>;
  /** Disconnects and drops the database. */
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try { await client.query(sql); } finally { await client.end(); }
}

export async function createNotificationsDatabase(prefix: string): Promise<NotificationsDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  let client: pg.Client | undefined;
  const query = (sql: string, values: unknown[] = []) => {
    if (!client) throw new Error('connect() the notifications database first');
    return client.query(sql, values);
  };
  return {
    url,
    async connect() {
      client = new pg.Client({ connectionString: url });
      await client.connect();
    },
    breakHandler: async () => void await query('ALTER TABLE notifications RENAME TO notifications_away'),
    fixHandler: async () => void await query('ALTER TABLE notifications_away RENAME TO notifications'),
    async notificationsOf(eventId) {
      const { rows } = await query('SELECT count(*)::int AS n FROM notifications WHERE event_id = $1', [eventId]);
      return rows[0].n as number;
    },
    async drop() {
      await client?.end().catch(() => {});
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    },
  };
}
