// loadPg: pg without Node's fetch implementation (bench/up's idle memory), and no global left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../src/data/pg-module.ts', import.meta.url));

test('loads pg without loading node:internal/deps/undici, and leaves no navigator behind', () => {
  // A fresh process: the test runner's own may have loaded fetch already.
  const script = `
    const { loadPg } = await import(${JSON.stringify(MODULE)});
    const pg = await loadPg();
    console.log(JSON.stringify({
      pool: typeof pg.Pool,
      again: (await loadPg()) === pg,
      navigator: typeof globalThis.navigator,
      fetchLoaded: process.moduleLoadList.some((m) => m.includes('internal/deps/undici')),
    }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const seen = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
  assert.equal(seen.pool, 'function');
  assert.equal(seen.again, true);
  assert.equal(seen.fetchLoaded, false, 'pg asked for a Response and loaded fetch');
  // Node 21+ has a navigator of its own; on Node 20 there is none before or after.
  assert.equal(seen.navigator, Number(process.versions.node.split('.')[0]) >= 21 ? 'object' : 'undefined');
});
