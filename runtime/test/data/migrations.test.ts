// Migrations on every engine: applied once and recorded, a failure rolls
// its file back whole and names it, an edited applied file is refused, and
// instances starting together apply each file once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMigrationError, migrate, type MigrationError } from '../../src/data/index.js';
import { ENGINES, testDatabase } from './engines.js';

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'msx-migrations-'));
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return dir;
}

const BASE = {
  '001_create_users.sql': 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);',
  '002_add_name.sql': 'ALTER TABLE users ADD COLUMN name text;\nCREATE TABLE starts (n integer);\nINSERT INTO starts VALUES (1);',
};

async function tableExists(db: { query: (sql: string, p?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }> }, table: string): Promise<boolean> {
  const { rows } = await db.query('SELECT to_regclass($1)::text AS t', [table]);
  return rows[0]?.t === table;
}

for (const engine of ENGINES) {
  describe(`migrations on ${engine}`, () => {
    test('are applied in order once, recorded with name and checksum', async (t) => {
      const tdb = await testDatabase(engine);
      const dir = await migrationsDir(BASE);
      t.after(async () => { await tdb.cleanup(); await rm(dir, { recursive: true, force: true }); });

      const db = await tdb.open({ migrationsDir: dir });
      assert.deepEqual(db.migrations.applied, ['001_create_users.sql', '002_add_name.sql']);
      const { rows } = await db.query<{ id: number; name: string; checksum: string; applied_at: Date }>('SELECT id, name, checksum, applied_at FROM msx_migrations ORDER BY id');
      assert.deepEqual(rows.map((r) => [r.id, r.name]), [[1, '001_create_users.sql'], [2, '002_add_name.sql']]);
      for (const row of rows) {
        assert.match(row.checksum, /^[0-9a-f]{64}$/);
        assert.ok(row.applied_at instanceof Date);
      }
      await db.query('INSERT INTO users (email, name) VALUES ($1, $2)', ['a@x', 'A']);

      if (engine !== 'embedded') {
        const again = await tdb.open({ migrationsDir: dir });
        assert.deepEqual(again.migrations.applied, []);
        assert.deepEqual(again.migrations.skipped, ['001_create_users.sql', '002_add_name.sql']);
      }
      const starts = await db.query<{ n: number }>('SELECT count(*) AS n FROM starts');
      assert.equal(starts.rows[0]!.n, 1, 'the second start ran nothing');
    });

    test('a failing migration is rolled back whole, stops start-up and names the file', async (t) => {
      const tdb = await testDatabase(engine);
      const dir = await migrationsDir({
        ...BASE,
        '003_broken.sql': 'CREATE TABLE orders (id serial PRIMARY KEY);\nALTER TABLE users ADD COLUMN age integer;\nINSERT INTO no_such_table VALUES (1);',
      });
      t.after(async () => { await tdb.cleanup(); await rm(dir, { recursive: true, force: true }); });

      const db = await tdb.open();
      if (engine !== 'embedded') {
        await assert.rejects(tdb.open({ migrationsDir: dir }), (err: unknown) => isMigrationError(err) && err.code === 'MIGRATION_FAILED', 'start-up stops');
      }
      const error = await migrate(db, dir).then(() => undefined, (err: unknown) => err);
      assert.ok(isMigrationError(error), `expected a MigrationError, got ${String(error)}`);
      const migrationError = error as MigrationError;
      assert.equal(migrationError.code, 'MIGRATION_FAILED');
      assert.equal(migrationError.file, '003_broken.sql');
      assert.equal(migrationError.sqlState, '42P01');
      assert.match(migrationError.message, /003_broken\.sql/);
      assert.match(migrationError.message, /no_such_table/);

      assert.equal(await tableExists(db, 'users'), true, 'earlier migrations stay applied');
      assert.equal(await tableExists(db, 'orders'), false, 'the failed migration created nothing');
      const columns = await db.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY column_name");
      assert.deepEqual(columns.rows.map((r) => r.column_name), ['email', 'id', 'name']);
      const recorded = await db.query<{ id: number }>('SELECT id FROM msx_migrations ORDER BY id');
      assert.deepEqual(recorded.rows.map((r) => r.id), [1, 2]);
    });

    test('an applied migration that was edited is refused', async (t) => {
      const tdb = await testDatabase(engine);
      const dir = await migrationsDir(BASE);
      t.after(async () => { await tdb.cleanup(); await rm(dir, { recursive: true, force: true }); });
      const db = await tdb.open({ migrationsDir: dir });
      await writeFile(join(dir, '001_create_users.sql'), 'CREATE TABLE users (id bigserial PRIMARY KEY, email text);');
      await writeFile(join(dir, '003_more.sql'), 'CREATE TABLE later (id integer);');

      const error = await migrate(db, dir).then(() => undefined, (err: unknown) => err);
      assert.ok(isMigrationError(error));
      assert.equal((error as MigrationError).code, 'MIGRATION_CHANGED');
      assert.equal((error as MigrationError).file, '001_create_users.sql');
      assert.equal(await tableExists(db, 'later'), false, 'nothing newer was applied');
    });

    test('instances starting together apply each migration once', async (t) => {
      const tdb = await testDatabase(engine);
      const files: Record<string, string> = {};
      for (let i = 1; i <= 8; i++) {
        const id = String(i).padStart(3, '0');
        // Not idempotent on purpose: applying one twice fails (table exists) or double-counts.
        files[`${id}_step.sql`] = i === 1 ? 'CREATE TABLE applications (n integer NOT NULL);' : `CREATE TABLE t${i} (id integer);\nINSERT INTO applications VALUES (${i});`;
      }
      const dir = await migrationsDir(files);
      t.after(async () => { await tdb.cleanup(); await rm(dir, { recursive: true, force: true }); });

      const instances = await Promise.all([1, 2, 3].map(() => tdb.open({ migrationsDir: dir })));
      const db = instances[0]!;
      const { rows } = await db.query<{ n: number; c: number }>('SELECT n, count(*) AS c FROM applications GROUP BY n ORDER BY n');
      assert.deepEqual(rows.map((r) => [r.n, r.c]), [2, 3, 4, 5, 6, 7, 8].map((n) => [n, 1]));
      const recorded = await db.query<{ c: number }>('SELECT count(*) AS c FROM msx_migrations');
      assert.equal(recorded.rows[0]!.c, 8);
      if (engine !== 'embedded') {
        const appliedByAll = instances.flatMap((i) => i.migrations.applied);
        assert.equal(appliedByAll.length, 8, `each file applied by exactly one instance: ${JSON.stringify(instances.map((i) => i.migrations))}`);
      }
    });
  });
}

test('misnamed and duplicate-numbered migration files are refused before any SQL runs', async (t) => {
  const tdb = await testDatabase('embedded');
  const misnamed = await migrationsDir({ '001_ok.sql': 'CREATE TABLE a (id int);', 'create_b.sql': 'CREATE TABLE b (id int);' });
  const duplicate = await migrationsDir({ '001_a.sql': 'CREATE TABLE a (id int);', '01_b.sql': 'CREATE TABLE b (id int);' });
  t.after(async () => {
    await tdb.cleanup();
    await rm(misnamed, { recursive: true, force: true });
    await rm(duplicate, { recursive: true, force: true });
  });
  const db = await tdb.open();
  await assert.rejects(migrate(db, misnamed), (err: unknown) => isMigrationError(err) && err.code === 'MIGRATION_INVALID' && err.file === 'create_b.sql');
  await assert.rejects(migrate(db, duplicate), (err: unknown) => isMigrationError(err) && err.code === 'MIGRATION_INVALID' && /share the number 1/.test(err.message));
  const { rows } = await db.query<{ t: string | null }>("SELECT to_regclass('a')::text AS t");
  assert.equal(rows[0]!.t, null, 'no SQL ran');
});
