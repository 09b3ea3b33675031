// RabbitMQ fault test: the broker closes the bus's connections while events
// are being published. Afterwards both buses have reconnected, the consumer
// has resubscribed, and every event whose publish resolved (was confirmed)
// has been delivered at least once.
//
// Only this run's connections are closed (found by their connection name,
// `msx:<service>`), not every connection on the broker as
// `rabbitmqctl close_all_connections` would: other test runs may share it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isBusError, type BusLogger } from '../../src/bus/index.js';
import { eventually, sleep } from './eventually.js';
import { openAmqpBus } from '../../src/bus/amqp.js';
import { groupQueues } from '../../src/bus/amqp-topology.js';
import { resolveRetryPolicy } from '../../src/bus/retry-policy.js';
import { RABBITMQ_URL, rabbitFixture } from './rabbitmq.js';

const run = promisify(execFile);

/** Closes, broker-side, every connection whose name starts with `msx:<prefix>`; returns how many. */
async function closeConnections(prefix: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '--quiet', '--no-table-headers'], { timeout: 30_000 });
  const pids = stdout.split('\n').filter((line) => line.includes(`{"connection_name","msx:${prefix}`)).map((line) => line.split('\t')[0]!);
  await Promise.all(pids.map((pid) => run('rabbitmqctl', ['close_connection', pid, 'test'], { timeout: 30_000 })));
  return pids.length;
}

function recordingLogger(): BusLogger & { readonly infos: string[]; readonly warnings: string[] } {
  const infos: string[] = [];
  const warnings: string[] = [];
  return { infos, warnings, info: (_obj, msg) => { infos.push(msg); }, warn: (_obj, msg) => { warnings.push(msg); } };
}

test('RabbitMQ connections cut during publishing: the bus reconnects, resubscribes, and delivers every confirmed event', async (t) => {
  const fx = await rabbitFixture();
  t.after(() => fx.cleanup());
  const prefix = fx.name('');
  const subLog = recordingLogger();
  const pubLog = recordingLogger();

  const consumer = await fx.open(fx.name('recon-sub'), { logger: subLog, reconnectInitialDelayMs: 50 });
  const delivered = new Map<string, number>();
  await consumer.subscribe('tick.*', (event) => { delivered.set(event.id, (delivered.get(event.id) ?? 0) + 1); }, { concurrency: 32, retries: 1, backoff: { initialMs: 50 } });
  const publisher = await fx.open(fx.name('recon-pub'), { logger: pubLog, reconnectInitialDelayMs: 50, publishTimeoutMs: 30_000 });

  const confirmed: string[] = [];
  const failures: unknown[] = [];
  const inflight = new Set<Promise<void>>();
  let cut: Promise<number> | undefined;
  let closedConnections: number | undefined;
  let confirmedAtCut = 0;
  const deadline = Date.now() + 60_000;
  for (let i = 0; Date.now() < deadline; i++) {
    if (cut === undefined && confirmed.length >= 500) {
      cut = closeConnections(prefix).then((n) => {
        closedConnections = n;
        confirmedAtCut = confirmed.length;
        return n;
      });
    }
    if (closedConnections !== undefined && confirmed.length >= confirmedAtCut + 500) break;
    const p: Promise<void> = publisher.publish({ type: 'tick.happened', data: { i, pad: 'x'.repeat(200) } }).then(
      (event) => { confirmed.push(event.id); },
      (err: unknown) => { failures.push(err); },
    ).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 20) await Promise.race(inflight);
    if (i % 20 === 0) await sleep(1); // keep the publish rate moderate on a shared 2-core machine
  }
  await Promise.all(inflight);
  assert.ok(cut, 'the cut was started');
  assert.equal(await cut, 2, 'both buses\' connections were closed by the broker');
  assert.ok(confirmed.length >= confirmedAtCut + 500, `publishing went on after the cut (${confirmed.length} confirmed, ${confirmedAtCut} at the cut)`);
  for (const err of failures) assert.ok(isBusError(err), `a failed publish must be a typed BusError, got ${String(err)}`);
  assert.equal(failures.length, 0, 'publishes wait for the reconnect instead of failing');

  const missing = () => confirmed.filter((id) => !delivered.has(id));
  await eventually('every confirmed event to be delivered', () => missing().length === 0, 60_000, () => ({ confirmed: confirmed.length, delivered: delivered.size, missing: missing().length }));

  const connects = (log: { infos: string[] }) => log.infos.filter((m) => m.includes('connected to RabbitMQ')).length;
  assert.ok(connects(pubLog) >= 2, `publisher reconnected (${connects(pubLog)} connects)`);
  assert.ok(connects(subLog) >= 2, `consumer reconnected (${connects(subLog)} connects)`);
  assert.ok(subLog.warnings.some((m) => m.includes('connection lost')), 'the consumer noticed the loss');
  t.diagnostic(`confirmed ${confirmed.length}, delivered ${delivered.size} distinct, duplicates ${[...delivered.values()].filter((n) => n > 1).length}`);
  await Promise.all([publisher.close(), consumer.close()]);
});

test('a channel closed under a live connection is rebuilt: publishing and consuming go on', async (t) => {
  const fx = await rabbitFixture();
  t.after(() => fx.cleanup());
  const pubLog = recordingLogger();
  const subLog = recordingLogger();
  // The adapter itself (not createBus, which may wrap it), because this test reaches into it.
  const open = async (service: string, logger: BusLogger) => {
    const bus = await openAmqpBus({ service, url: RABBITMQ_URL, exchange: fx.exchange, logger, reconnectInitialDelayMs: 50 });
    t.after(() => bus.close());
    return bus;
  };
  const consumer = await open(fx.name('chan-sub'), subLog);
  const policy = { retries: 0 };
  const names = groupQueues(consumer.service, resolveRetryPolicy(policy));
  [names.main, names.deadLetter].forEach((q) => fx.queues.add(q));
  const got: string[] = [];
  await consumer.subscribe('chan.*', (e) => { got.push(e.id); }, policy);
  const publisher = await open(fx.name('chan-pub'), pubLog);
  const first = await publisher.publish({ type: 'chan.one', data: {} });
  await eventually('the first event', () => got.includes(first.id), 10_000);

  // Close one channel of each, as a channel-level broker error would.
  type Internals = { current?: { publisher: { close(): Promise<void> } }; subscriptions: Set<{ channel?: { close(): Promise<void> } }> };
  await (publisher as unknown as Internals).current!.publisher.close();
  await Promise.all([...(consumer as unknown as Internals).subscriptions].map((s) => s.channel!.close()));

  const second = await publisher.publish({ type: 'chan.two', data: {} });
  await eventually('the event published after the channels were rebuilt', () => got.includes(second.id), 10_000, () => ({ got, pub: pubLog.infos, sub: subLog.infos }));
  const connects = (log: { infos: string[] }) => log.infos.filter((m) => m.includes('connected to RabbitMQ')).length;
  assert.ok(connects(pubLog) >= 2 && connects(subLog) >= 2, `both rebuilt (${connects(pubLog)}, ${connects(subLog)})`);
  await Promise.all([publisher.close(), consumer.close()]);
});
