// Take-over while the system runs: a saga whose orchestrator died is driven
// to its end by another live orchestrator — or by the restarted instance,
// although it came back while the dead one's lease was still valid —
// within a bounded time and without any restart; a live owner's long step
// is not taken from it; and a saga begun in a transaction exists only if
// that transaction commits. No step's effect is applied twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Database } from '../../src/data/index.js';
import { SagaOrchestrator, type SagaOutcome } from '../../src/saga/index.js';
import { testDatabase, type EngineName } from '../data/engines.js';
import { TAKEOVER_SCHEMA, takeoverSaga } from './fixtures/takeover-saga.js';

const WORKER = fileURLToPath(new URL('./fixtures/takeover-worker.ts', import.meta.url));
const DEAD_LEASE_MS = 1000;

/** Runs the worker until it reports `message`, then SIGKILLs it: an orchestrator that died mid-saga. */
async function killedMidSaga(databaseUrl: string, sagaId: string, message: 'hanging' | 'begun'): Promise<void> {
  const child = fork(WORKER, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: databaseUrl, SAGA_ID: sagaId, LEASE_MS: String(DEAD_LEASE_MS), BEGIN_ONLY: message === 'begun' ? '1' : '0' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([
      new Promise<void>((resolve) => child.on('message', (m) => m === message && resolve())),
      exited.then(() => { throw new Error('the worker exited before it got under way'); }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the worker did not report "${message}" within 20 s`)), 20_000).unref()),
    ]);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

async function sagaStatus(db: Database, id: string): Promise<string | undefined> {
  const { rows } = await db.query<{ status: string }>('SELECT status FROM msx_saga WHERE id = $1', [id]);
  return rows[0]?.status;
}

/** Polls until the saga finished; fails after `withinMs`. */
async function finishedWithin(db: Database, id: string, withinMs: number): Promise<string> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const status = await sagaStatus(db, id);
    if (status !== undefined && status !== 'running' && status !== 'compensating') return status;
    if (Date.now() > deadline) throw new Error(`saga ${id} still ${status ?? 'missing'} ${withinMs} ms after its owner died`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function counts(db: Database, table: 'attempts' | 'effects'): Promise<Record<string, number>> {
  const { rows } = await db.query<{ step: string; n: number }>(`SELECT step, count(*)::int AS n FROM ${table} GROUP BY step ORDER BY step`);
  return Object.fromEntries(rows.map((r) => [r.step, r.n]));
}

for (const engine of ['postgres', 'embedded-server'] as EngineName[]) {
  test(`${engine}: a live orchestrator takes over the saga of one that was SIGKILLed, without a restart`, { timeout: 60_000 }, async (t) => {
    const tdb = await testDatabase(engine, 'orders');
    const db = await tdb.open();
    await db.exec(TAKEOVER_SCHEMA);
    // The survivor is up before the other one dies, as the other instances of a scaled service are.
    const survivor = await SagaOrchestrator.create({ db, sagas: [takeoverSaga(db, { owner: 'survivor' })], leaseMs: 2000, sweepIntervalMs: 100 });
    t.after(async () => {
      await survivor.stop();
      await tdb.cleanup();
    });
    await survivor.resume();

    await killedMidSaga(tdb.url, 'saga-1', 'hanging');
    assert.equal(await sagaStatus(db, 'saga-1'), 'running', 'the dead orchestrator left the saga unfinished');

    // Bounded: the dead lease, plus a few sweeps.
    assert.equal(await finishedWithin(db, 'saga-1', DEAD_LEASE_MS + 5000), 'completed');
    assert.deepEqual(await counts(db, 'attempts'), { one: 1, two: 2 }, 'the completed step was not run again; the unfinished one was re-run');
    assert.deepEqual(await counts(db, 'effects'), { one: 1, two: 1 }, 'each step applied once (same idempotency key on the re-run)');
    const { rows } = await db.query<{ owner: string }>("SELECT owner FROM attempts WHERE step = 'two' ORDER BY seq");
    assert.deepEqual(rows.map((r) => r.owner), ['dead', 'survivor']);
  });

  test(`${engine}: an instance restarted within the dead one's lease takes its saga over once the lease expires`, { timeout: 60_000 }, async (t) => {
    const tdb = await testDatabase(engine, 'orders');
    const db = await tdb.open();
    await db.exec(TAKEOVER_SCHEMA);
    let restarted: SagaOrchestrator | undefined;
    t.after(async () => {
      await restarted?.stop();
      await tdb.cleanup();
    });
    await killedMidSaga(tdb.url, 'saga-2', 'hanging');

    // Restarted at once: the dead instance's lease is still valid, so the start-up resume finds nothing to do…
    restarted = await SagaOrchestrator.create({ db, sagas: [takeoverSaga(db, { owner: 'restarted' })], leaseMs: 2000, sweepIntervalMs: 100 });
    const atStartup: SagaOutcome[] = await restarted.resume();
    assert.equal(atStartup.length, 0, 'the lease of the dead instance was still valid at start-up');
    assert.notEqual(restarted.owner, 'dead');

    // …and the running instance picks it up once it expired, without another restart.
    assert.equal(await finishedWithin(db, 'saga-2', DEAD_LEASE_MS + 5000), 'completed');
    assert.deepEqual(await counts(db, 'effects'), { one: 1, two: 1 });
  });

  test(`${engine}: a live owner's long step keeps its lease; no other orchestrator runs it`, { timeout: 60_000 }, async (t) => {
    const tdb = await testDatabase(engine, 'orders');
    const db = await tdb.open();
    await db.exec(TAKEOVER_SCHEMA);
    // Each step takes five leases' time; the other orchestrator sweeps every 50 ms.
    const owner = await SagaOrchestrator.create({ db, sagas: [takeoverSaga(db, { owner: 'owner', stepMs: 1500 })], leaseMs: 300, sweepIntervalMs: 50 });
    const other = await SagaOrchestrator.create({ db, sagas: [takeoverSaga(db, { owner: 'other' })], leaseMs: 300, sweepIntervalMs: 50 });
    t.after(async () => {
      await Promise.all([owner.stop(), other.stop()]);
      await tdb.cleanup();
    });
    const outcome = await owner.start(takeoverSaga(db, { owner: 'owner' }), { n: 1 }, { id: 'saga-3' });
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(await counts(db, 'attempts'), { one: 1, two: 1 }, 'every step ran once, by its owner');
    const { rows } = await db.query<{ owner: string }>('SELECT DISTINCT owner FROM attempts');
    assert.deepEqual(rows.map((r) => r.owner), ['owner']);
  });

  test(`${engine}: a saga begun in a transaction exists only if it commits, and is driven even if its process dies before running it`, { timeout: 60_000 }, async (t) => {
    const tdb = await testDatabase(engine, 'orders');
    const db = await tdb.open();
    await db.exec(TAKEOVER_SCHEMA);
    const saga = takeoverSaga(db, { owner: 'survivor' });
    const survivor = await SagaOrchestrator.create({ db, sagas: [saga], leaseMs: 2000, sweepIntervalMs: 100 });
    t.after(async () => {
      await survivor.stop();
      await tdb.cleanup();
    });

    await assert.rejects(db.transaction(async (tx) => {
      await survivor.begin(saga, { n: 1 }, { tx, id: 'rolled-back' });
      throw new Error('the order could not be saved');
    }), /could not be saved/);
    assert.equal(await sagaStatus(db, 'rolled-back'), undefined, 'no saga without its transaction');
    await assert.rejects(survivor.run('rolled-back'), { name: 'SagaError', code: 'SAGA_NOT_FOUND' });

    await killedMidSaga(tdb.url, 'begun-then-died', 'begun');
    assert.equal(await sagaStatus(db, 'begun-then-died'), 'running');
    assert.equal(await finishedWithin(db, 'begun-then-died', DEAD_LEASE_MS + 5000), 'completed');
    assert.deepEqual(await counts(db, 'effects'), { one: 1, two: 1 });

    // Begun and run by the same live instance: its outcome, and a second run returns the same.
    await db.transaction((tx) => survivor.begin(saga, { n: 2 }, { tx, id: 'begun-here' }));
    assert.equal((await survivor.run('begun-here')).status, 'completed');
    assert.equal((await survivor.run('begun-here')).status, 'completed');
  });
}
