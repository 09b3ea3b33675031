import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalDiscovery, resolveDiscovery, type Instance, type LocalRegistryFile } from '../../src/discovery/index.js';

/** Writes the registry the way the supervisor does: to a temp file, then an atomic rename. */
async function writeRegistry(path: string, registry: LocalRegistryFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(registry));
  await rename(tmp, path);
}

/** Resolves on the first update for which `predicate` holds; rejects after 5 s so the test stays bounded. */
function waitForUpdate(
  updates: Array<(s: ReadonlyMap<string, readonly Instance[]>) => void>,
  predicate: (s: ReadonlyMap<string, readonly Instance[]>) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no registry update within 5 s')), 5_000);
    updates.push((s) => {
      if (predicate(s)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

test('picks up instances added and removed in the registry file, without restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msx-local-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'registry.json');
  await writeRegistry(path, {
    services: {
      orders: [
        { id: 'orders-1', url: 'http://127.0.0.1:4101', ready: true },
        { id: 'orders-2', url: 'http://127.0.0.1:4102', ready: false },
      ],
    },
  });
  const listeners: Array<(s: ReadonlyMap<string, readonly Instance[]>) => void> = [];
  // A one-minute poll: within this test only fs.watch can deliver the changes.
  const discovery = resolveDiscovery(
    { kind: 'local', registryPath: path, pollMs: 60_000, onUpdate: (s) => listeners.forEach((l) => l(s)) },
    {},
  );
  t.after(() => discovery.close());

  assert.deepEqual(await discovery.resolve('orders'), [{ id: 'orders-1', service: 'orders', url: 'http://127.0.0.1:4101' }]);
  assert.deepEqual(await discovery.resolve('users'), []);

  let changed = waitForUpdate(listeners, (s) => (s.get('orders')?.length ?? 0) === 2);
  await writeRegistry(path, {
    services: {
      orders: [
        { id: 'orders-1', url: 'http://127.0.0.1:4101', ready: true },
        { id: 'orders-2', url: 'http://127.0.0.1:4102', ready: true },
      ],
    },
  });
  await changed;
  assert.deepEqual((await discovery.resolve('orders')).map((i) => i.id), ['orders-1', 'orders-2']);

  changed = waitForUpdate(listeners, (s) => (s.get('orders')?.length ?? 0) === 1);
  await writeRegistry(path, { services: { orders: [{ id: 'orders-2', url: 'http://127.0.0.1:4102', ready: true }] } });
  await changed;
  assert.deepEqual((await discovery.resolve('orders')).map((i) => i.id), ['orders-2']);
  // The gateway's synchronous path sees the same live list.
  assert.deepEqual(discovery.cached?.('orders')?.map((i) => i.id), ['orders-2']);
  assert.deepEqual(discovery.cached?.('users'), []);
});

test('a missing file is an empty registry; a broken one keeps the last good content', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msx-local-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'registry.json');
  const errors: unknown[] = [];
  const listeners: Array<(s: ReadonlyMap<string, readonly Instance[]>) => void> = [];
  const discovery = createLocalDiscovery({
    registryPath: path,
    pollMs: 60_000,
    onError: (e) => errors.push(e),
    onUpdate: (s) => listeners.forEach((l) => l(s)),
  });
  t.after(() => discovery.close());
  assert.deepEqual(await discovery.resolve('orders'), []);

  const appeared = waitForUpdate(listeners, (s) => s.has('orders'));
  await writeRegistry(path, { services: { orders: [{ id: 'orders-1', url: 'http://127.0.0.1:4101', ready: true }] } });
  await appeared;

  const broken = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no parse error reported within 5 s')), 5_000);
    const check = setInterval(() => {
      if (errors.length > 0) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 10);
  });
  await writeFile(`${path}.tmp`, '{"services": {');
  await rename(`${path}.tmp`, path);
  await broken;
  assert.ok(errors[0] instanceof SyntaxError);
  assert.deepEqual((await discovery.resolve('orders')).map((i) => i.id), ['orders-1']);
});
