// Outbox, relay and inbox on every engine, with a recording bus that fails
// on purpose: events commit with the state or not at all, are published at
// least once and in order per key, one relay at a time, and the inbox
// applies an effect once per event.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventBus, EventEnvelope, PublishInput } from '../../src/bus/index.js';
import { createInbox, createOutbox, isOutboxError, OutboxRelay } from '../../src/outbox/index.js';
import { createEventStore } from '../../src/eventstore/index.js';
import { ENGINES, testDatabase } from '../data/engines.js';
import { eventually } from '../bus/eventually.js';

/** A bus that records confirmed publishes and rejects a share of them (like a broker going away). */
function flakyBus(failureRate: number): EventBus & { confirmed: PublishInput[]; attempts: number; failing: boolean } {
  const bus = {
    kind: 'fake', service: 'orders', confirmed: [] as PublishInput[], attempts: 0, failing: false,
    async publish<T>(input: PublishInput<T>): Promise<EventEnvelope<T>> {
      bus.attempts++;
      await new Promise((resolve) => setImmediate(resolve));
      if (bus.failing || Math.random() < failureRate) throw Object.assign(new Error('broker unavailable'), { code: 'BUS_UNAVAILABLE', retryable: true });
      bus.confirmed.push(input as PublishInput);
      return { specversion: '1.0', id: input.id!, source: 'orders', type: input.type, time: new Date().toISOString(), datacontenttype: 'application/json', data: input.data };
    },
    async subscribe(): Promise<never> { throw new Error('not used'); },
    async deadLetters() { return []; },
    async close() {},
  };
  return bus;
}

for (const engine of ENGINES) {
  describe(`outbox on ${engine}`, () => {
    test('events commit with the state change, and are relayed at least once, in order per key, despite publish failures', { timeout: 60_000 }, async (t) => {
      const tdb = await testDatabase(engine);
      t.after(() => tdb.cleanup());
      const db = await tdb.open();
      await db.exec('CREATE TABLE orders (id text PRIMARY KEY)');
      const outbox = await createOutbox({ db });
      const bus = flakyBus(0.2);
      const relay = new OutboxRelay({ outbox, bus, pollIntervalMs: 50, batchSize: 40, backoff: { initialMs: 5, maxMs: 20 } });
      t.after(() => relay.stop());

      await assert.rejects(db.transaction(async (tx) => {
        await tx.query('INSERT INTO orders VALUES ($1)', ['rolled-back']);
        await outbox.add(tx, { type: 'order.created', data: { id: 'rolled-back' }, key: 'rolled-back' });
        throw new Error('validation failed later');
      }));
      const keys = ['a', 'b', 'c', 'd'];
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        await db.transaction(async (tx) => {
          await tx.query('INSERT INTO orders VALUES ($1)', [`o${i}`]);
          ids.push(await outbox.add(tx, { type: 'order.created', data: { i }, key: keys[i % keys.length]!, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }));
        });
      }
      await db.transaction(async (tx) => { await outbox.add(tx, { type: 'order.note', data: { keyless: true } }); });
      relay.start();

      const distinct = () => new Set(bus.confirmed.map((e) => e.id)).size;
      await eventually('every committed event to be confirmed', () => distinct() === 101, 30_000, () => ({ confirmed: distinct(), attempts: bus.attempts }));
      assert.ok(bus.attempts > 101, 'some publishes failed and were retried');
      assert.ok(!bus.confirmed.some((e) => (e.data as { id?: string }).id === 'rolled-back'), 'a rolled-back event is never published');
      for (const key of keys) {
        const seen = bus.confirmed.filter((e) => e.key === key).map((e) => (e.data as { i: number }).i);
        assert.deepEqual(seen, [...seen].sort((x, y) => x - y), `key ${key}: confirmed in outbox order`);
      }
      const first = bus.confirmed.find((e) => e.id === ids[0])!;
      assert.equal(first.type, 'order.created');
      assert.equal(first.headers?.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      await eventually('rows to be marked published', async () => {
        const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM msx_outbox WHERE published_at IS NULL');
        return rows[0]!.n === 0;
      }, 10_000);
      await assert.rejects(db.transaction((tx) => outbox.add(tx, { type: 'Bad Type', data: {} })), (err: unknown) => isOutboxError(err) && err.code === 'OUTBOX_INVALID_EVENT');
    });

    test('one relay at a time per service; another takes over when it stops', { timeout: 60_000 }, async (t) => {
      const tdb = await testDatabase(engine);
      t.after(() => tdb.cleanup());
      const [db1, db2] = [await tdb.open(), await tdb.open()];
      const [outbox1, outbox2] = [await createOutbox({ db: db1! }), await createOutbox({ db: db2! })];
      const [bus1, bus2] = [flakyBus(0), flakyBus(0)];
      const relay1 = new OutboxRelay({ outbox: outbox1, bus: bus1, pollIntervalMs: 20, leaseMs: 60_000 }).start();
      await eventually('relay 1 to take the lease', () => relay1.active, 10_000);
      const relay2 = new OutboxRelay({ outbox: outbox2, bus: bus2, pollIntervalMs: 20, leaseMs: 60_000 }).start();
      t.after(() => Promise.all([relay1.stop(), relay2.stop()]));
      for (let i = 0; i < 20; i++) await db2!.transaction(async (tx) => { await outbox2.add(tx, { type: 'x.happened', data: { i } }); });
      await eventually('all 20 to be published', () => bus1.confirmed.length + bus2.confirmed.length >= 20, 10_000);
      assert.equal(bus2.confirmed.length, 0, 'the second relay published nothing while the first held the lease');
      assert.equal(relay2.active, false);
      await relay1.stop();
      for (let i = 0; i < 5; i++) await db1!.transaction(async (tx) => { await outbox1.add(tx, { type: 'x.happened', data: { i } }); });
      await eventually('the second relay to take over', () => bus2.confirmed.length === 5, 10_000);
      assert.equal(bus1.confirmed.length, 20);
    });

    test('the inbox applies an effect once per event and group; the event store publishes through the outbox on commit only', async (t) => {
      const tdb = await testDatabase(engine);
      t.after(() => tdb.cleanup());
      const db = await tdb.open();
      await db.exec('CREATE TABLE effects (event_id text, grp text)');
      const inbox = await createInbox({ db });
      const handle = inbox.handler<{ n: number }>(async (event, tx, context) => {
        await tx.query('INSERT INTO effects VALUES ($1, $2)', [event.id, context.group]);
        if (event.data.n < 0) throw new Error('handler failed');
      });
      const event = (id: string, n: number) => ({ specversion: '1.0' as const, id, source: 's', type: 't.x', time: '', datacontenttype: 'application/json' as const, data: { n } });
      for (let attempt = 1; attempt <= 3; attempt++) await handle(event('e1', 1), { attempt, redelivered: attempt > 1, group: 'g1' });
      await handle(event('e1', 1), { attempt: 1, redelivered: false, group: 'g2' });
      await assert.rejects(async () => handle(event('e2', -1), { attempt: 1, redelivered: false, group: 'g1' }), /handler failed/);
      const { rows } = await db.query<{ event_id: string; grp: string }>('SELECT event_id, grp FROM effects ORDER BY grp');
      assert.deepEqual(rows, [{ event_id: 'e1', grp: 'g1' }, { event_id: 'e1', grp: 'g2' }], 'once per group; a failed handler left no effect and no inbox record');
      const handled = await db.transaction((tx) => inbox.handleOnce(tx, 'e2', 'g1', async () => 'ran'));
      assert.deepEqual(handled, { handled: true, result: 'ran' }, 'the failed delivery can be retried');

      const outbox = await createOutbox({ db });
      const store = await createEventStore({ db, outbox });
      await store.append('order-1', 0, [{ type: 'OrderCreated', data: {} }], { publish: [{ type: 'order.created', data: { id: 'order-1' }, key: 'order-1' }] });
      await assert.rejects(store.append('order-1', 0, [{ type: 'OrderCreated', data: {} }], { publish: [{ type: 'order.created', data: { id: 'dup' }, key: 'order-1' }] }));
      const queued = await db.query<{ type: string; data: { id: string } }>('SELECT type, data FROM msx_outbox');
      assert.deepEqual(queued.rows, [{ type: 'order.created', data: { id: 'order-1' } }]);
    });
  });
}
