/**
 * A full disk at the first `msx up`, on a real small file system: a tmpfs
 * mounted on the system's `.msx` folder (needs root, as on CI and this
 * machine; elsewhere the test skips and says why). Foreground and detached
 * `up` both end with a plain message naming the disk and the space needed
 * (exit 1, never "bug in msx"), even when the background supervisor's own
 * log cannot be written; nothing half-copied is left; once there is space,
 * the next `msx up -d` works without `down --volumes`, and removes a copy
 * an earlier start left unfinished.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../support/free-port.js';
import { alive, LocalSystem } from '../support/local-system.js';
import { msx, tempDir } from '../support/msx.js';
import { installAndBuild } from '../support/install-system.js';

const temp = tempDir('msx-disk-full-');
const root = join(temp.dir, 'demo');
const stateDir = join(root, '.msx');
const system = new LocalSystem(root);
// The template of the embedded database is made once per cache, on a disk with room.
const env = { XDG_CACHE_HOME: join(temp.dir, 'cache') };
let mounted = false;

function mount(sizeMb: number, remount = false): void {
  execFileSync('mount', remount ? ['-o', `remount,size=${sizeMb}m`, stateDir] : ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', stateDir], { stdio: 'ignore' });
}

/** Every entry under `.msx/data`, relative, so a half copy of any name shows. */
function dataEntries(): string[] {
  const data = join(stateDir, 'data');
  if (!existsSync(data)) return [];
  return readdirSync(data, { recursive: true, encoding: 'utf8' }).filter((entry) => entry.split('/').length <= 2).sort();
}

before(async () => {
  const created = await msx(['new', 'demo', '--services', 'users', '--yes'], { cwd: temp.dir });
  assert.equal(created.exitCode, 0, created.stderr);
  const manifestPath = join(root, 'msx.yaml');
  writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8')
    .replace('port: 8080', `port: ${await freePort()}`)
    .replace('port: 3001', `port: ${await freePort()}\n    database: true`));
  await installAndBuild(root);
  mkdirSync(stateDir, { recursive: true });
  try {
    mount(30); // room for the state and logs, not for a 39 MB database
    mounted = true;
  } catch {
    // not root: the test skips
  }
}, { timeout: 900_000 });

after(async () => {
  await msx(['down'], { cwd: root, timeout: 120_000 });
  system.killLeftovers();
  if (mounted) execFileSync('umount', ['-l', stateDir], { stdio: 'ignore' });
  temp.cleanup();
});

test('a full disk at the first msx up: a clear message, exit 1, nothing half-copied, and up works once there is space', { timeout: 240_000 }, async (t) => {
  if (!mounted) {
    assert.ok(!process.env.CI, 'CI must be able to mount a small tmpfs (it runs as root)');
    t.skip('mounting a small tmpfs is not permitted here (needs root)');
    return;
  }
  const noSpace = /no space left on .*\.msx \(tmpfs\) for the embedded database of users .*\(\d+ MB needed, [\d.]+ [KM]B free\)/;

  const foreground = await msx(['up', '--timeout', '60s'], { cwd: root, env, timeout: 120_000 });
  assert.equal(foreground.exitCode, 1, foreground.stderr);
  assert.match(foreground.stderr, noSpace);
  assert.match(foreground.stderr, /hint\s+free at least \d+ MB on .*\.msx \(tmpfs\), then run msx up again/);
  assert.doesNotMatch(foreground.stderr, /bug in msx|internal error|ENOSPC/);
  assert.deepEqual(dataEntries().filter((entry) => entry.startsWith('users')), [], 'no data directory, not even half a copy');

  // Now not a byte free: msx up -d cannot even take the supervisor lock (its first write), and says so plainly.
  try { execFileSync('dd', ['if=/dev/zero', `of=${join(stateDir, 'filler')}`, 'bs=64k'], { stdio: 'ignore' }); } catch { /* full */ }
  const detached = await msx(['up', '-d', '--timeout', '60s'], { cwd: root, env, timeout: 120_000 });
  assert.equal(detached.exitCode, 1, detached.stderr);
  assert.match(detached.stderr, /cannot write .*\.msx\/supervisor\.lock: no space left on the disk\n.*hint\s+free some disk space/);
  assert.doesNotMatch(detached.stderr, /bug in msx|internal error|exited before/);
  assert.deepEqual(dataEntries().filter((entry) => entry.startsWith('users')), []);

  rmSync(join(stateDir, 'filler'));
  mount(200, true);
  // What a copy cut short by a kill leaves (its msx gone): removed by the next start, never taken for a database.
  const leftover = join(stateDir, 'data', 'users', 'postgres.copy-999999999');
  mkdirSync(join(leftover, 'base'), { recursive: true });
  const up = await msx(['up', '-d', '--timeout', '60s'], { cwd: root, env, timeout: 120_000 });
  assert.equal(up.exitCode, 0, up.stderr);
  const rows = await system.ps();
  assert.ok(rows.length === 2 && rows.every((row) => row.ready), JSON.stringify(rows));
  assert.ok(existsSync(join(stateDir, 'data', 'users', 'postgres', 'PG_VERSION')));
  assert.deepEqual(dataEntries().filter((entry) => entry.startsWith('users')), ['users', 'users/postgres']);
  const down = await msx(['down'], { cwd: root, timeout: 120_000 });
  assert.equal(down.exitCode, 0, down.stderr);
  for (const row of rows) if (row.pid) assert.equal(alive(row.pid), false);
});
