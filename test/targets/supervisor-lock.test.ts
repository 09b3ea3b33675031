import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { currentProcess, SupervisorLock } from '../../src/targets/local/supervisor-lock.js';
import { tempDir } from '../support/msx.js';

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

test('the supervisor lock: one holder; a live holder refuses others; only the holder releases it', (t) => {
  const temp = tempDir();
  t.after(temp.cleanup);
  const lock = new SupervisorLock(join(temp.dir, 'supervisor.lock'));
  assert.deepEqual(lock.acquire(), { acquired: true });
  const again = lock.acquire();
  assert.equal(again.acquired, false);
  assert.equal(!again.acquired && again.holder.pid, process.pid);
  lock.release({ pid: deadPid() });
  assert.ok(existsSync(lock.file), 'released by a process that does not hold it');
  lock.release();
  assert.ok(!existsSync(lock.file));
});

test('a lock left by a dead process, or by an earlier process under a recycled pid, is taken over', (t) => {
  const temp = tempDir();
  t.after(temp.cleanup);
  const lock = new SupervisorLock(join(temp.dir, 'supervisor.lock'));
  writeFileSync(lock.file, JSON.stringify({ pid: deadPid(), startTime: 1 }));
  assert.deepEqual(lock.acquire(), { acquired: true });
  assert.deepEqual(lock.holder(), currentProcess());

  // Our own pid, but a start time that is not ours: a process that had this pid before.
  writeFileSync(lock.file, JSON.stringify({ pid: process.pid, startTime: (currentProcess().startTime ?? 0) - 1 }));
  assert.equal(lock.liveHolder(), undefined);
  assert.deepEqual(lock.acquire(), { acquired: true });
  assert.deepEqual(lock.liveHolder(), currentProcess());

  writeFileSync(lock.file, 'not json');
  assert.deepEqual(lock.acquire(), { acquired: true });
});

test('transfer hands the lock to the detached supervisor without a moment where it is free', (t) => {
  const temp = tempDir();
  t.after(temp.cleanup);
  const lock = new SupervisorLock(join(temp.dir, 'supervisor.lock'));
  lock.acquire();
  lock.transfer({ pid: 1, startTime: undefined });
  assert.equal(lock.holder()?.pid, 1);
  const attempt = lock.acquire();
  assert.equal(attempt.acquired, false); // pid 1 is alive
});
