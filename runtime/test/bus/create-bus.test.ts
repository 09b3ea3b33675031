import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBus, isBusError } from '../../src/bus/index.js';
import { resolveRetryPolicy } from '../../src/bus/retry-policy.js';

test('createBus resolves `embedded`, unset and MSX_BUS_URL to the embedded adapter', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'msx-bus-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const saved = process.env.MSX_BUS_URL;
  t.after(() => { if (saved === undefined) delete process.env.MSX_BUS_URL; else process.env.MSX_BUS_URL = saved; });

  delete process.env.MSX_BUS_URL;
  const unset = await createBus({ service: 'a', dataDir });
  assert.equal(unset.kind, 'embedded');
  await unset.close();

  process.env.MSX_BUS_URL = 'embedded';
  const fromEnv = await createBus({ service: 'a', dataDir });
  assert.equal(fromEnv.kind, 'embedded');
  await fromEnv.close();
});

test('createBus refuses an unknown URL with a coded error and no password in the message', async () => {
  await assert.rejects(createBus({ service: 'a', url: 'kafka://user:secret@host:9092' }), (err) => {
    assert.ok(isBusError(err));
    assert.equal(err.code, 'BUS_CONFIG_INVALID');
    assert.equal(err.retryable, false);
    assert.doesNotMatch(err.message, /secret/);
    return true;
  });
  await assert.rejects(createBus({ service: 'a', url: 'redis' }), (err) => isBusError(err) && err.code === 'BUS_CONFIG_INVALID');
  await assert.rejects(createBus({ service: 'bad name', url: 'embedded' }), (err) => isBusError(err) && err.code === 'BUS_CONFIG_INVALID' && /`service`/.test(err.message));
});

test('an unreachable RabbitMQ fails createBus with BUS_UNAVAILABLE, bounded in time', async () => {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  await assert.rejects(
    createBus({ service: 'a', url: 'amqp://guest:guest@127.0.0.1:1', connectAttempts: 2, reconnectInitialDelayMs: 10 }),
    (err) => isBusError(err) && err.code === 'BUS_UNAVAILABLE' && err.retryable && /127\.0\.0\.1:1/.test(err.message) && !/guest:guest/.test(err.message),
  );
});

test('retry policy: attempts = retries + 1, exponential capped delays, validated options', () => {
  assert.deepEqual(resolveRetryPolicy({ retries: 4, backoff: { initialMs: 100, factor: 3, maxMs: 1000 } }), { maxAttempts: 5, delaysMs: [100, 300, 900, 1000] });
  assert.deepEqual(resolveRetryPolicy({ retries: 0 }), { maxAttempts: 1, delaysMs: [] });
  assert.equal(resolveRetryPolicy({}).maxAttempts, 6);
  assert.throws(() => resolveRetryPolicy({ retries: 1.5 }), (err) => isBusError(err) && err.code === 'BUS_CONFIG_INVALID' && /`retries`/.test(err.message));
  assert.throws(() => resolveRetryPolicy({ backoff: { factor: 0 } }), (err) => isBusError(err) && /`backoff.factor`/.test(err.message));
});
