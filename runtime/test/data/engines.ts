/**
 * The engines every data-layer test runs on: the machine's PostgreSQL (a
 * fresh database per test, dropped afterwards), the embedded engine served
 * on the wire protocol (what scaled local services use), and the
 * in-process embedded engine. A missing PostgreSQL fails loudly.
 */
import pg from 'pg';
import type { Registry } from 'prom-client';
import { createDatabase, migrate, startEmbeddedPostgres, type CreateDatabaseOptions, type DatabaseWithMigrations } from '../../src/data/index.js';

export const POSTGRES_ADMIN_URL = process.env.MSX_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type EngineName = 'postgres' | 'embedded-server' | 'embedded';
export const ENGINES: readonly EngineName[] = ['postgres', 'embedded-server', 'embedded'];

/** A database for one test: a URL to open it with (any number of times) and its cleanup. */
export interface TestDatabase {
  readonly engine: EngineName;
  readonly url: string;
  /** Opens a data helper on it; closed by `cleanup`. */
  open(options?: Partial<CreateDatabaseOptions> & { registry?: Registry }): Promise<DatabaseWithMigrations>;
  cleanup(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL} (${(err as Error).message}). These tests need it (user postgres, trust auth).`);
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function uniqueName(prefix = 'msxtest'): string {
  return `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export async function testDatabase(engine: EngineName, service = 'svc'): Promise<TestDatabase> {
  const opened = new Set<DatabaseWithMigrations>();
  const open = (url: string) => async (options: Partial<CreateDatabaseOptions> = {}) => {
    const db = await createDatabase({ service, url, ...options });
    opened.add(db);
    return db;
  };
  const closeAll = () => Promise.all([...opened].map((db) => db.close().catch(() => {})));

  if (engine === 'postgres') {
    const name = uniqueName();
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = POSTGRES_ADMIN_URL.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
    return {
      engine, url, open: open(url),
      async cleanup() {
        await closeAll();
        await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  if (engine === 'embedded-server') {
    const server = await startEmbeddedPostgres({});
    return {
      engine, url: server.url, open: open(server.url),
      async cleanup() {
        await closeAll();
        await server.close();
      },
    };
  }
  // One in-process engine per test, shared by every `open` (each open would otherwise get its own empty memory database).
  let shared: Promise<DatabaseWithMigrations> | undefined;
  return {
    engine, url: 'embedded:memory',
    async open(options = {}) {
      if (shared === undefined) {
        shared = open('embedded:memory')(options);
        return shared;
      }
      const db = await shared;
      if (options.migrationsDir !== undefined) await migrate(db, options.migrationsDir);
      return db;
    },
    cleanup: closeAll,
  };
}
