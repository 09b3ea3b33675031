// Fault test: 10,000 events (3,000 on the embedded engine, see below) go
// through the outbox to the real RabbitMQ while the broker closes the relay's and the consumer's connections. Afterwards
// every event was delivered at least once and — thanks to the inbox —
// handled exactly once (effects are counted in a table without a unique
// key, so a double effect would show).
//
// Only this run's connections are closed (by connection name `msx:<service>`,
// with `rabbitmqctl close_connection … test`), not every connection on the
// broker as `close_all_connections` would: other test files share it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createBus, type EventBus } from '../../src/bus/index.js';
import { groupQueues } from '../../src/bus/amqp-topology.js';
import { resolveRetryPolicy } from '../../src/bus/retry-policy.js';
import { createInbox, createOutbox, OutboxRelay } from '../../src/outbox/index.js';
import { assertRabbitReachable, deleteTopology, RABBITMQ_URL, uniqueRunId } from '../bus/rabbitmq.js';
import { eventually, sleep } from '../bus/eventually.js';
import { testDatabase, type EngineName } from '../data/engines.js';

const run = promisify(execFile);
/**
 * How many events each engine carries. The embedded server serves every
 * connection on its one backend, one batch at a time (embedded-server.ts),
 * so the producer's inserts, the relay and the 16 concurrent inbox
 * transactions all queue for it, and the engine, its wire server, the `pg`
 * clients and the bus clients share this process's one thread: about 60,000
 * round trips for 10,000 events took 172 s of the 180 s budget on the shared
 * 2-core machine (34 s of it CPU, the rest waiting for a core; not the
 * WebAssembly compiler: bench/embedded). What the test proves needs events
 * published before the cut, in flight at it (a relay batch of 500 unconfirmed,
 * 16 deliveries unacknowledged) and after it; 3,000 keep all three (the cut
 * comes after at least 1,000 are published), at 30% of the work.
 */
const EVENTS_BY_ENGINE: Readonly<Record<'postgres' | 'embedded-server', number>> = { postgres: 10_000, 'embedded-server': 3_000 };
const PER_TRANSACTION = 100;
const SUBSCRIBE_RETRY = { retries: 5, backoff: { initialMs: 50, maxMs: 500 } };

async function closeConnections(prefix: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '--quiet', '--no-table-headers'], { timeout: 30_000 });
  const pids = stdout.split('\n').filter((line) => line.includes(`{"connection_name","msx:${prefix}`)).map((line) => line.split('\t')[0]!);
  await Promise.all(pids.map((pid) => run('rabbitmqctl', ['close_connection', pid, 'test'], { timeout: 30_000 })));
  return pids.length;
}

for (const engine of ['postgres', 'embedded-server'] as const satisfies readonly EngineName[]) {
  const EVENTS = EVENTS_BY_ENGINE[engine];
  test(`${engine}: ${EVENTS.toLocaleString('en')} events through the outbox survive a broker-side connection cut; each is handled exactly once`, { timeout: 180_000 }, async (t) => {
    await assertRabbitReachable();
    const runId = uniqueRunId();
    const exchange = `${runId}.events`;
    const group = `${runId}.consumer`;
    const buses: EventBus[] = [];
    const tdb = await testDatabase(engine, 'producer');
    let relay: OutboxRelay | undefined;
    t.after(async () => {
      await relay?.stop();
      await Promise.all(buses.map((bus) => bus.close().catch(() => {})));
      const names = groupQueues(group, resolveRetryPolicy(SUBSCRIBE_RETRY));
      await deleteTopology([names.main, names.deadLetter, ...names.delays.values()], [exchange]);
      await tdb.cleanup();
    });
    const common = { url: RABBITMQ_URL, exchange, connectAttempts: 2, reconnectInitialDelayMs: 50, publishTimeoutMs: 5_000 };
    const producerBus = await createBus({ service: `${runId}.producer`, ...common });
    const consumerBus = await createBus({ service: `${runId}.consumer`, ...common });
    buses.push(producerBus, consumerBus);

    const producerDb = await tdb.open();
    const consumerDb = await tdb.open();
    await producerDb.exec('CREATE TABLE orders (n integer PRIMARY KEY); CREATE TABLE effects (event_id text NOT NULL, n integer NOT NULL);');
    const outbox = await createOutbox({ db: producerDb });
    const inbox = await createInbox({ db: consumerDb });

    const deliveries = new Map<string, number>();
    await consumerBus.subscribe('order.*', inbox.handler<{ n: number }>(async (event, tx) => {
      deliveries.set(event.id, (deliveries.get(event.id) ?? 0) + 1);
      await tx.query('INSERT INTO effects (event_id, n) VALUES ($1, $2)', [event.id, event.data.n]);
    }), { group, concurrency: 16, ...SUBSCRIBE_RETRY });

    relay = new OutboxRelay({ outbox, bus: producerBus, pollIntervalMs: 100, batchSize: 500, backoff: { initialMs: 50, maxMs: 1000 } }).start();

    const published = async () => (await producerDb.query<{ n: number }>('SELECT count(*) AS n FROM msx_outbox WHERE published_at IS NOT NULL')).rows[0]!.n;
    let cutAt: number | undefined;
    let closed = 0;
    for (let start = 0; start < EVENTS; start += PER_TRANSACTION) {
      await producerDb.transaction(async (tx) => {
        for (let n = start; n < start + PER_TRANSACTION; n++) {
          await tx.query('INSERT INTO orders (n) VALUES ($1)', [n]);
          await outbox.add(tx, { type: 'order.created', data: { n }, key: `k${n % 50}` });
        }
      });
      if (cutAt === undefined && start >= EVENTS / 3) {
        await eventually('some events to be published before the cut', async () => (await published()) >= 1000, 60_000);
        cutAt = await published();
        closed = await closeConnections(runId);
      }
      if (start % 1000 === 0) await sleep(5); // let the relay and consumer share the two cores
    }
    assert.equal(closed, 2, 'the broker closed the producer\'s and the consumer\'s connections');
    t.diagnostic(`cut after ${cutAt} published events`);

    await eventually('every event to be published', async () => (await published()) === EVENTS, 120_000, () => ({ deliveries: deliveries.size }));
    const effectCount = async () => (await consumerDb.query<{ n: number; distinct_n: number }>('SELECT count(*) AS n, count(DISTINCT n) AS distinct_n FROM effects')).rows[0]!;
    await eventually('every event to be handled', async () => (await effectCount()).distinct_n === EVENTS, 120_000, () => ({ deliveries: deliveries.size }));
    await sleep(500); // late redeliveries, if any, would land now
    const effects = await effectCount();
    assert.equal(effects.n, EVENTS, 'each event had its effect exactly once');
    assert.equal(effects.distinct_n, EVENTS);
    const redelivered = [...deliveries.values()].filter((count) => count > 1).length;
    t.diagnostic(`deliveries ${[...deliveries.values()].reduce((a, b) => a + b, 0)} for ${deliveries.size} events (${redelivered} delivered more than once; those reached the handler, the inbox skipped their effect)`);
  });
}
