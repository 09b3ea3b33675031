/**
 * The embedded engine served while it opens (what the msx up supervisor
 * does, so services load their code beside it): the URL accepts connections
 * at once, a client that connects before the engine is open is answered
 * once it is, and an engine that cannot open closes the waiting connections
 * and says why.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { isDatabaseError, serveEmbeddedPostgres } from '../../src/data/index.js';

const plainUrl = (url: string) => url.replace('msx_engine=1', '').replace(/\?$/, '');

test('a client that connects while the engine is still opening is served once it is open', { timeout: 180_000 }, async (t) => {
  const served = await serveEmbeddedPostgres({});
  t.after(() => served.close());
  let open = false;
  void served.opened.then(() => { open = true; });
  assert.equal(open, false, 'resolved before the engine opened');
  const client = new pg.Client({ connectionString: plainUrl(served.url) });
  t.after(() => client.end().catch(() => {}));
  await client.connect();
  const { rows } = await client.query<{ n: number }>('SELECT 1 + 1 AS n');
  assert.equal(rows[0]!.n, 2);
  assert.equal(open, true);
});

test('an engine that cannot open rejects opened and closes the connections that waited for it', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'msx-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const notADirectory = join(dir, 'file');
  writeFileSync(notADirectory, 'not a data directory');
  const served = await serveEmbeddedPostgres({ dataDir: notADirectory });
  t.after(() => served.close());
  const client = new pg.Client({ connectionString: plainUrl(served.url), connectionTimeoutMillis: 30_000 });
  client.on('error', () => {});
  const connected = client.connect().then(() => 'connected', (error: Error) => `failed: ${error.message}`);
  await assert.rejects(served.opened, (error) => isDatabaseError(error) && error.code === 'DATABASE_UNAVAILABLE');
  assert.match(await connected, /^failed/);
});
