// The data helper on every engine (same SQL, same values), plus what only
// the embedded engine served on the wire must prove: several pools in
// parallel get correct, isolated results; data persists across restarts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createDatabase, isDatabaseError, startEmbeddedPostgres } from '../../src/data/index.js';
import { ENGINES, testDatabase } from './engines.js';

for (const engine of ENGINES) {
  describe(`database on ${engine}`, () => {
    test('queries, commits, rolls back, parses values alike, meters and checks', async (t) => {
      const tdb = await testDatabase(engine);
      t.after(() => tdb.cleanup());
      const registry = new Registry();
      const db = await tdb.open({ registry });
      await db.exec('CREATE TABLE items (id bigserial PRIMARY KEY, doc jsonb NOT NULL, price numeric(10,2), at timestamptz NOT NULL DEFAULT now()); CREATE TABLE audit (n int);');

      const inserted = await db.query<{ id: number }>('INSERT INTO items (doc, price) VALUES ($1, $2) RETURNING id', [JSON.stringify({ a: [1, 2] }), '9.50']);
      assert.equal(inserted.rowCount, 1);
      assert.equal(inserted.rows[0]!.id, 1, 'bigserial comes back as a number');
      const { rows } = await db.query<{ id: number; doc: unknown; price: string; at: Date; n: number }>('SELECT id, doc, price, at, count(*) OVER () AS n FROM items');
      assert.deepEqual(rows[0]!.doc, { a: [1, 2] });
      assert.equal(rows[0]!.price, '9.50', 'numeric stays a string');
      assert.ok(rows[0]!.at instanceof Date);
      assert.equal(rows[0]!.n, 1, 'count(*) is a number');

      let committed = 0;
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO audit VALUES ($1)', [1]);
        tx.onCommit(() => { committed++; });
      });
      assert.equal(committed, 1);
      await assert.rejects(db.transaction(async (tx) => {
        await tx.query('INSERT INTO audit VALUES ($1)', [2]);
        tx.onCommit(() => { committed++; });
        throw new Error('business says no');
      }), /business says no/);
      assert.equal(committed, 1, 'no onCommit after a rollback');
      const audit = await db.query<{ n: number }>('SELECT n FROM audit ORDER BY n');
      assert.deepEqual(audit.rows.map((r) => r.n), [1]);

      let leaked: { query: (s: string) => Promise<unknown> } | undefined;
      await db.transaction(async (tx) => { leaked = tx; });
      await assert.rejects(async () => leaked!.query('SELECT 1'), (err: unknown) => isDatabaseError(err) && err.code === 'DATABASE_CLOSED');

      const updated = await db.query('UPDATE audit SET n = n + 1');
      assert.equal(updated.rowCount, 1);
      await db.check();
      const metric = await registry.getSingleMetricAsString('db_query_duration_seconds');
      assert.match(metric, new RegExp(`db_query_duration_seconds_count\\{service="svc",kind="${engine}",outcome="ok"\\} \\d+`));
      await db.close();
      await assert.rejects(db.check(), (err: unknown) => isDatabaseError(err) && err.code === 'DATABASE_CLOSED');
    });
  });
}

test('the embedded engine on the wire serves several pools at once without mixing their statements or transactions', { timeout: 60_000 }, async (t) => {
  const server = await startEmbeddedPostgres({});
  t.after(() => server.close());
  const dbs = await Promise.all([1, 2, 3].map(() => createDatabase({ service: 'orders', url: server.url, poolSize: 3 })));
  t.after(() => Promise.all(dbs.map((db) => db.close())));
  assert.equal(dbs[0]!.kind, 'embedded-server');
  await dbs[0]!.exec('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0);');

  let wrong = 0;
  const perWorker = 40;
  await Promise.all(dbs.flatMap((db, d) => [0, 1, 2].map(async (w) => {
    for (let i = 0; i < perWorker; i++) {
      const v = d * 10_000 + w * 1000 + i;
      const { rows } = await db.query<{ v: number; s: string }>('SELECT $1::int AS v, $2::text AS s', [v, `s${v}`]);
      if (rows[0]?.v !== v || rows[0]?.s !== `s${v}`) wrong++;
      // read-modify-write: only correct if no other connection's statement runs inside this transaction
      await db.transaction(async (tx) => {
        const current = await tx.query<{ n: number }>('SELECT n FROM counter WHERE id = 1');
        await tx.query('UPDATE counter SET n = $1 WHERE id = 1', [current.rows[0]!.n + 1]);
      });
    }
  })));
  assert.equal(wrong, 0, 'every query got its own result');
  const { rows } = await dbs[1]!.query<{ n: number }>('SELECT n FROM counter');
  assert.equal(rows[0]!.n, 3 * 3 * perWorker, 'no lost update');
});

test('the embedded engine rolls back and frees a connection that dies inside a transaction', { timeout: 30_000 }, async (t) => {
  const server = await startEmbeddedPostgres({ idleInTransactionTimeoutMs: 60_000 });
  t.after(() => server.close());
  const url = server.url.replace('msx_engine=1', '').replace(/\?$/, '');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  client.on('error', () => {});
  await client.query('CREATE TABLE t (n int)');
  await client.query('BEGIN');
  await client.query('INSERT INTO t VALUES (1)');
  // Connecting needs the engine too, so this waits behind the open transaction until the connection dies.
  const waiting = createDatabase({ service: 'x', url: server.url }).then(async (db) => {
    t.after(() => db.close());
    return db.query<{ c: number }>('SELECT count(*) AS c FROM t');
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  const { rows } = await waiting;
  assert.equal(rows[0]!.c, 0, 'the dead connection\'s insert was rolled back, and the waiting query ran');
});

test('the embedded engine keeps its data across restarts', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'msx-embedded-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const first = await createDatabase({ service: 'users', url: 'embedded', dataDir });
  await first.exec('CREATE TABLE users (email text)');
  await first.query('INSERT INTO users VALUES ($1)', ['a@example.com']);
  await first.close();
  const second = await createDatabase({ service: 'users', url: 'embedded', dataDir });
  t.after(() => second.close());
  const { rows } = await second.query<{ email: string }>('SELECT email FROM users');
  assert.deepEqual(rows, [{ email: 'a@example.com' }]);
});

test('bad configuration fails with a typed error naming the option', async () => {
  await assert.rejects(createDatabase({ service: 'x', url: 'mysql://h/db' }), (err: unknown) => isDatabaseError(err) && err.code === 'DATABASE_CONFIG_INVALID' && /mysql:\/\//.test(err.message));
  await assert.rejects(createDatabase({ service: '', url: 'embedded:memory' }), (err: unknown) => isDatabaseError(err) && err.code === 'DATABASE_CONFIG_INVALID' && /`service`/.test(err.message));
  await assert.rejects(createDatabase({ service: 'x', url: 'postgres://nobody:secret@127.0.0.1:1/db' }), (err: unknown) => isDatabaseError(err) && err.code === 'DATABASE_UNAVAILABLE' && !err.message.includes('secret'));
});
