// The event store on every engine: concurrent appends at one version (one
// wins, the rest get ConcurrencyError), atomic multi-event appends, loading
// from a version, snapshots, explicit aggregate handlers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Aggregate,
  createAggregateRepository,
  createEventStore,
  isConcurrencyError,
  isEventStoreError,
  type EventStore,
} from '../../src/eventstore/index.js';
import { ENGINES, testDatabase } from '../data/engines.js';

interface CounterState { total: number; adds: number[] }

class Counter extends Aggregate<CounterState> {
  constructor(id: string) {
    super(id, { total: 0, adds: [] });
    this.on<{ n: number }>('Added', (state, data) => ({ total: state.total + data.n, adds: [...state.adds, data.n] }));
    this.on('Reset', () => ({ total: 0, adds: [] }));
  }

  add(n: number): void {
    if (n <= 0) throw new Error('positive only');
    this.raise('Added', { n });
  }
}

for (const engine of ENGINES) {
  describe(`event store on ${engine}`, () => {
    test('concurrent appends at one version: exactly one wins each round, the others get ConcurrencyError', { timeout: 120_000 }, async (t) => {
      const tdb = await testDatabase(engine);
      t.after(() => tdb.cleanup());
      // Separate pools stand for separate instances (one shared in-process engine for `embedded`).
      const stores: EventStore[] = await Promise.all([1, 2, 3].map(async () => createEventStore({ db: await tdb.open({ poolSize: 4 }) })));
      const rounds = 10;
      const writers = 12;
      for (let round = 0; round < rounds; round++) {
        const expected = round * 2;
        const outcomes = await Promise.allSettled(Array.from({ length: writers }, (_, w) =>
          stores[w % stores.length]!.append('agg-1', expected, [{ type: 'Added', data: { n: 1, writer: w, round } }, { type: 'Added', data: { n: 2, writer: w, round } }])));
        const winners = outcomes.filter((o) => o.status === 'fulfilled');
        const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        assert.equal(winners.length, 1, `round ${round}: exactly one append wins`);
        for (const loser of losers) {
          assert.ok(isConcurrencyError(loser.reason), `round ${round}: a loser fails with ConcurrencyError, got ${String(loser.reason)}`);
          assert.equal(loser.reason.code, 'EVENTSTORE_CONCURRENCY');
          assert.equal(loser.reason.expectedVersion, expected);
        }
      }
      const events = await stores[1]!.load('agg-1');
      assert.deepEqual(events.map((e) => e.version), Array.from({ length: rounds * 2 }, (_, i) => i + 1), 'versions are gapless');
      for (let round = 0; round < rounds; round++) {
        const pair = events.slice(round * 2, round * 2 + 2).map((e) => e.data as { writer: number; round: number });
        assert.equal(pair[0]!.writer, pair[1]!.writer, 'both events of an append come from one writer (atomic)');
        assert.equal(pair[0]!.round, round);
      }
    });

    test('several events append atomically, load from a version, snapshots every N', async (t) => {
      const tdb = await testDatabase(engine);
      t.after(() => tdb.cleanup());
      const db = await tdb.open();
      const store = await createEventStore({ db });

      await assert.rejects(db.transaction(async (tx) => {
        await store.append('c-1', 0, [{ type: 'Added', data: { n: 1 } }, { type: 'Added', data: { n: 2 } }], { tx });
        throw new Error('the rest of the command failed');
      }));
      assert.deepEqual(await store.load('c-1'), [], 'rolled back together');
      const appended = await store.append('c-1', 0, [{ type: 'Added', data: { n: 1 } }, { type: 'Added', data: { n: 2 }, metadata: { by: 'u1' } }]);
      assert.equal(appended.version, 2);
      assert.deepEqual(appended.events.map((e) => [e.version, e.type, e.data]), [[1, 'Added', { n: 1 }], [2, 'Added', { n: 2 }]]);
      assert.deepEqual(appended.events[1]!.metadata, { by: 'u1' });
      assert.ok(appended.events[0]!.recordedAt instanceof Date);
      await assert.rejects(store.append('c-1', 1, [{ type: 'Added', data: { n: 9 } }]), (err: unknown) => isConcurrencyError(err) && err.actualVersion === 2);
      await store.append('c-1', 2, [{ type: 'Added', data: { n: 3 } }]);
      assert.deepEqual((await store.load('c-1', 1)).map((e) => e.version), [2, 3], 'load after version 1');

      const repo = createAggregateRepository({ store, create: (id) => new Counter(id), snapshotEvery: 3 });
      const counter = new Counter('c-2');
      for (const n of [1, 2, 3, 4]) counter.add(n);
      await repo.save(counter);
      assert.equal(counter.version, 4);
      assert.equal(counter.pendingEvents.length, 0);
      const snap1 = await store.loadSnapshot<CounterState>('c-2');
      assert.deepEqual(snap1, { aggregateId: 'c-2', version: 4, state: { total: 10, adds: [1, 2, 3, 4] } }, 'crossing version 3 snapshots');

      const loaded = (await repo.load('c-2'))!;
      loaded.add(5);
      loaded.add(6);
      await repo.save(loaded);
      assert.equal((await store.loadSnapshot<CounterState>('c-2'))!.version, 6);
      // A snapshot that disagrees with the events proves the repository started from it.
      await db.query("UPDATE msx_snapshots SET state = jsonb_set(state, '{total}', '1000') WHERE aggregate_id = 'c-2'");
      await store.append('c-2', 6, [{ type: 'Added', data: { n: 7 } }]);
      const fromSnapshot = (await repo.load('c-2'))!;
      assert.equal(fromSnapshot.version, 7);
      assert.equal(fromSnapshot.state.total, 1007, 'snapshot state + the one later event');

      const stale = (await repo.load('c-1'))!;
      const fresh = (await repo.load('c-1'))!;
      fresh.add(1);
      await repo.save(fresh);
      stale.add(1);
      await assert.rejects(repo.save(stale), isConcurrencyError);
      assert.equal(await repo.load('missing'), undefined);
    });
  });
}

test('aggregates refuse unregistered events and duplicate handlers, by code', () => {
  class Broken extends Aggregate<number> {
    constructor(id: string, twice: boolean) {
      super(id, 0);
      this.on('A', (s) => s + 1);
      if (twice) this.on('A', (s) => s + 2);
    }
    doB(): void { this.raise('B', {}); }
  }
  assert.throws(() => new Broken('x', true), (err: unknown) => isEventStoreError(err) && err.code === 'EVENTSTORE_HANDLER_DUPLICATE');
  assert.throws(() => new Broken('x', false).doB(), (err: unknown) => isEventStoreError(err) && err.code === 'EVENTSTORE_HANDLER_MISSING' && /"x"/.test(err.message));
});
