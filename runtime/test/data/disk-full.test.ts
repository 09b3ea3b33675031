// A database whose disk fills up at run time: the write that fails answers
// 507 problem+json instead of an opaque 500, /ready turns 503 naming the
// lack of space (reads still work, so `SELECT 1` alone stayed green), and
// the service logs it. On a real full disk (a small tmpfs), through the
// embedded engine served on the wire protocol as on the local target.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DiskFullWatch, isDiskFull, startEmbeddedPostgres, type Database } from '../../src/data/index.js';
import type { ProblemDocument, ReadinessReport } from '../../src/index.js';
import { attachDatabase } from '../../src/resources/index.js';
import { startService } from '../service/harness.js';
import { mountSmallDisk } from './small-disk.js';

test('writes failing for lack of space answer 507 problem+json, and /ready reports it with the reason', { timeout: 120_000 }, async (t) => {
  const disk = mountSmallDisk(64);
  if (!disk) {
    assert.ok(!process.env.CI, 'CI must be able to mount a small tmpfs (it runs as root)');
    t.skip('mounting a small tmpfs is not permitted here (needs root)');
    return;
  }
  t.after(() => disk.cleanup());
  const migrations = await mkdtemp(join(tmpdir(), 'msx-disk-full-migrations-'));
  t.after(() => rm(migrations, { recursive: true, force: true }));
  await writeFile(join(migrations, '001_items.sql'), 'CREATE TABLE items (id serial PRIMARY KEY, body text NOT NULL);');

  const engine = await startEmbeddedPostgres({ dataDir: join(disk.dir, 'postgres') });
  t.after(() => engine.close());
  let db: Database | undefined;
  const { service, url, logs } = await startService(t, {}, (s) => {
    s.app.post('/items', async (req, res) => {
      // About 1.3 MB of incompressible rows per request, so the table's file must grow.
      await db!.query('INSERT INTO items (body) SELECT md5(random()::text) || md5(random()::text) FROM generate_series(1, $1::int)', [10_000]);
      res.status(201).end();
    });
    s.app.get('/items/count', async (req, res) => {
      const { rows } = await db!.query<{ n: number }>('SELECT count(*)::int AS n FROM items');
      res.json(rows[0]);
    });
  });
  db = await attachDatabase(service, { url: engine.url, migrationsDir: migrations });

  assert.equal((await fetch(`${url}/items`, { method: 'POST' })).status, 201);
  assert.equal((await fetch(`${url}/ready`)).status, 200);

  disk.fill();
  let failed: Response | undefined;
  for (let attempt = 0; attempt < 10 && !failed; attempt++) {
    const res = await fetch(`${url}/items`, { method: 'POST' });
    if (res.status !== 201) failed = res;
  }
  assert.ok(failed, 'a write failed once the disk was full');
  assert.equal(failed.status, 507);
  assert.match(failed.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const problem = (await failed.json()) as ProblemDocument;
  assert.equal(problem.type, 'urn:msx:problem:insufficient-storage');
  assert.match(problem.detail ?? '', /disk space/);

  const ready = await fetch(`${url}/ready`);
  assert.equal(ready.status, 503);
  const report = (await ready.json()) as ReadinessReport;
  assert.equal(report.checks.database?.status, 'down');
  assert.match(report.checks.database?.error ?? '', /lack of disk space .*No space left on device/);
  assert.ok(logs.some((line) => line.level === 'error' && /no space left/.test(line.msg)), 'the service logged the full disk');

  // Reads still work: the service is degraded, not dead.
  assert.equal((await fetch(`${url}/items/count`)).status, 200);
});

test('DiskFullWatch counts only lack of space, tells it once per spell, and clears holdMs after the last failure', () => {
  let now = 1_000;
  const told: unknown[] = [];
  const watch = new DiskFullWatch({ holdMs: 100, now: () => now, onDiskFull: (error) => told.push(error) });
  watch.observe(Object.assign(new Error('duplicate key'), { code: '23505' }));
  assert.equal(watch.full, undefined);
  assert.doesNotThrow(watch.check);

  const full = Object.assign(new Error('could not extend file "base/5/16385": No space left on device'), { code: '53100' });
  watch.observe(full);
  now += 60;
  watch.observe(full);
  assert.equal(told.length, 1);
  assert.throws(watch.check, /lack of disk space \(could not extend file/);
  now += 90; // 90 ms after the last failure: still within holdMs
  assert.throws(watch.check);
  now += 20;
  assert.doesNotThrow(watch.check);
  watch.observe(full);
  assert.equal(told.length, 2, 'a new spell is told again');

  assert.equal(isDiskFull(new Error('wrapped', { cause: Object.assign(new Error('write'), { code: 'ENOSPC' }) })), true);
  assert.equal(isDiskFull(new Error('plain')), false);
});
