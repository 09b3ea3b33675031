// The embedded bus across separate processes on one machine: the local
// target runs each service as its own process, all sharing <dataDir>/bus.db.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeExit, runFixture, type Child, type Exit } from './child-process.js';
import { eventually } from './eventually.js';

const children: Child[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'msx-bus-proc-'));
  dirs.push(dir);
  return dir;
}

function start(name: 'consumer' | 'publisher', env: Record<string, string>): Child {
  const child = runFixture(name, env);
  children.push(child);
  return child;
}

/** Asserts that the child exited with code 0; on failure says which signal ended it and what it wrote to stderr. */
async function assertCleanExit(child: Child, ending: Promise<Exit>): Promise<void> {
  const exit = await ending;
  assert.ok(exit.code === 0, describeExit(child.name, exit));
}

const ids = (child: Child) => child.lines.filter((l) => typeof l.id === 'string').map((l) => l.id as string);
const ready = (child: Child) => child.lines.some((l) => l.ready === true);

test('separate processes: one publishes; a group of two competes, another group gets everything', async () => {
  const dir = await dataDir();
  const billing1 = start('consumer', { BUS_DATA_DIR: dir, BUS_SERVICE: 'billing', BUS_GROUP: 'billing', BUS_PATTERN: 'order.*' });
  const billing2 = start('consumer', { BUS_DATA_DIR: dir, BUS_SERVICE: 'billing', BUS_GROUP: 'billing', BUS_PATTERN: 'order.*' });
  const shipping = start('consumer', { BUS_DATA_DIR: dir, BUS_SERVICE: 'shipping', BUS_GROUP: 'shipping', BUS_PATTERN: 'order.#' });
  await eventually('three consumers to subscribe', () => [billing1, billing2, shipping].every(ready), 30_000);

  const publisher = start('publisher', { BUS_DATA_DIR: dir, BUS_COUNT: '60' });
  await assertCleanExit(publisher, publisher.exited);
  const published = ids(publisher);
  assert.equal(published.length, 60);

  const billing = () => [...ids(billing1), ...ids(billing2)];
  await eventually('billing and shipping to handle all 60', () => billing().length >= 60 && ids(shipping).length >= 60, 20_000, () => [billing().length, ids(shipping).length]);
  await Promise.all([billing1, billing2, shipping].map((c) => assertCleanExit(c, c.stop())));

  assert.deepEqual([...billing()].sort(), [...published].sort(), 'billing handled each event exactly once across its two processes');
  assert.ok(ids(billing1).length > 0 && ids(billing2).length > 0, `both billing processes should get events: ${ids(billing1).length} / ${ids(billing2).length}`);
  assert.deepEqual([...ids(shipping)].sort(), [...published].sort(), 'shipping got every event');
});

test('separate processes: a group that was down gets what was published meanwhile', async () => {
  const dir = await dataDir();
  // One handler at a time: publish order is only promised to a group consumed with concurrency 1.
  const env = { BUS_DATA_DIR: dir, BUS_SERVICE: 'audit', BUS_GROUP: 'audit', BUS_PATTERN: '#', BUS_CONCURRENCY: '1' };
  const first = start('consumer', env);
  await eventually('the audit consumer to subscribe', () => ready(first), 30_000);
  await assertCleanExit(first, first.stop());

  const publisher = start('publisher', { BUS_DATA_DIR: dir, BUS_COUNT: '10' });
  await assertCleanExit(publisher, publisher.exited);

  const restarted = start('consumer', env);
  await eventually('the restarted consumer to catch up', () => ids(restarted).length >= 10, 30_000, () => ids(restarted).length);
  await assertCleanExit(restarted, restarted.stop());
  assert.deepEqual(ids(restarted), ids(publisher), 'all 10, in publish order');
});

test('separate processes: the event of a consumer killed mid-handler is redelivered once its lease runs out', async () => {
  const dir = await dataDir();
  const env = { BUS_DATA_DIR: dir, BUS_SERVICE: 'mailer', BUS_GROUP: 'mailer', BUS_PATTERN: 'order.*', BUS_VISIBILITY_MS: '500' };
  const doomed = start('consumer', { ...env, BUS_CRASH_ON_TYPE: 'order.placed' });
  await eventually('the doomed consumer to subscribe', () => ready(doomed), 30_000);
  const publisher = start('publisher', { BUS_DATA_DIR: dir, BUS_COUNT: '1' });
  await assertCleanExit(publisher, publisher.exited);
  const doomedExit = await doomed.exited;
  assert.equal(doomedExit.signal, 'SIGKILL', describeExit(doomed.name, doomedExit));
  assert.ok(doomed.lines.some((l) => l.crashing === ids(publisher)[0]));

  const survivor = start('consumer', env);
  await eventually('the survivor to get the event', () => ids(survivor).length >= 1, 30_000);
  await assertCleanExit(survivor, survivor.stop());
  const line = survivor.lines.find((l) => typeof l.id === 'string')!;
  assert.equal(line.id, ids(publisher)[0]);
  assert.equal(line.redelivered, true);
});
