/**
 * The bus contract: the behaviour every adapter must have, written once and
 * run against each adapter by its own test file (`amqp.test.ts`,
 * `embedded.test.ts`) with a fixture that isolates the run (unique exchange
 * and queue names, or a temporary data folder) and removes what it created.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CreateBusOptions, DeliveryContext, EventBus, EventEnvelope } from '../../src/bus/index.js';
import { isBusError } from '../../src/bus/index.js';
import { Registry } from 'prom-client';
import { eventually, sleep } from './eventually.js';

export interface BusFixture {
  /** Opens a bus for `service`, isolated to this run. Closed by `cleanup` if the test did not. */
  open(service: string, options?: Partial<CreateBusOptions>): Promise<EventBus>;
  /** A consumer-group / service name unique to this run. */
  name(base: string): string;
  /** Closes open buses and deletes everything the run created. */
  cleanup(): Promise<void>;
}

interface Received {
  readonly event: EventEnvelope;
  readonly context: DeliveryContext;
}

/** Fast retries so that dead-lettering tests stay short. */
const FAST = { retries: 2, backoff: { initialMs: 30, factor: 2 } } as const;

export function busContract(adapter: string, setup: () => Promise<BusFixture>): void {
  describe(`bus contract: ${adapter}`, () => {
    let fx: BusFixture;
    before(async () => {
      fx = await setup();
    });
    after(async () => {
      await fx?.cleanup();
    });

    it('routes by topic pattern: `*` is one word, `#` zero or more', async () => {
      const bus = await fx.open(fx.name('wild'));
      const seen = new Map<string, string[]>();
      const groups = { star: 'order.*', hash: 'order.#', all: '#', mid: '*.item.*' } as const;
      for (const [key, pattern] of Object.entries(groups)) {
        const list: string[] = [];
        seen.set(key, list);
        await bus.subscribe(pattern, (e) => { list.push(e.type); }, { group: fx.name(`wild-${key}`), concurrency: 1, ...FAST });
      }
      for (const type of ['order.created', 'order.item.added', 'order', 'payment.done', 'cart.item.removed']) {
        await bus.publish({ type, data: { type } });
      }
      // Sentinels published last: one consumer per group takes its queue in order, so once a
      // group has its sentinel every earlier match has arrived.
      await bus.publish({ type: 'order.end', data: {} });
      await bus.publish({ type: 'x.item.end', data: {} });
      const has = (key: string, type: string) => seen.get(key)!.includes(type);
      await eventually('every group to reach its sentinel', () => has('star', 'order.end') && has('hash', 'order.end') && has('all', 'x.item.end') && has('mid', 'x.item.end'), 10_000, () => Object.fromEntries(seen));
      assert.deepEqual(seen.get('star'), ['order.created', 'order.end']);
      assert.deepEqual(seen.get('hash'), ['order.created', 'order.item.added', 'order', 'order.end']);
      assert.deepEqual(seen.get('all'), ['order.created', 'order.item.added', 'order', 'payment.done', 'cart.item.removed', 'order.end', 'x.item.end']);
      assert.deepEqual(seen.get('mid'), ['order.item.added', 'cart.item.removed', 'x.item.end']);
      await bus.close();
    });

    it('competing consumers: two instances of one group share the events, each handled once', async () => {
      const service = fx.name('compete');
      const [a, b, publisher] = await Promise.all([fx.open(service), fx.open(service), fx.open(fx.name('compete-pub'))]);
      const handled: Array<{ by: string; id: string }> = [];
      const handler = (by: string) => async (e: EventEnvelope) => {
        await sleep(5);
        handled.push({ by, id: e.id });
      };
      await a.subscribe('job.*', handler('a'), { concurrency: 2, ...FAST });
      await b.subscribe('job.*', handler('b'), { concurrency: 2, ...FAST });
      const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => publisher.publish({ type: 'job.run', data: { i } }).then((e) => e.id)));
      await eventually('40 handled events', () => handled.length >= 40, 20_000, () => handled.length);
      await sleep(100); // would expose a duplicate delivery arriving late
      assert.deepEqual(handled.map((h) => h.id).sort(), [...ids].sort(), 'each event handled exactly once by the group');
      assert.ok(handled.some((h) => h.by === 'a') && handled.some((h) => h.by === 'b'), `both instances should get events: ${JSON.stringify(count(handled.map((h) => h.by)))}`);
      await Promise.all([a.close(), b.close(), publisher.close()]);
    });

    it('fan-out: two groups each get every event', async () => {
      const bus = await fx.open(fx.name('fan'));
      const first: string[] = [];
      const second: string[] = [];
      await bus.subscribe('stock.*', (e) => { first.push(e.id); }, { group: fx.name('fan-1'), ...FAST });
      await bus.subscribe('stock.#', (e) => { second.push(e.id); }, { group: fx.name('fan-2'), ...FAST });
      const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => bus.publish({ type: 'stock.reserved', data: { i } }).then((e) => e.id)));
      await eventually('both groups to get 10 events', () => first.length >= 10 && second.length >= 10, 10_000, () => [first.length, second.length]);
      assert.deepEqual([...first].sort(), [...ids].sort());
      assert.deepEqual([...second].sort(), [...ids].sort());
      await bus.close();
    });

    it('durability: events published while a group is down are delivered when it comes back', async () => {
      const service = fx.name('durable');
      const consumer = await fx.open(service);
      const sub = await consumer.subscribe('invoice.*', () => {}, FAST);
      await sub.close();
      await consumer.close();

      const publisher = await fx.open(fx.name('durable-pub'));
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await publisher.publish({ type: 'invoice.issued', data: { i } })).id);
      await publisher.close();

      const restarted = await fx.open(service);
      const got: string[] = [];
      await restarted.subscribe('invoice.*', (e) => { got.push(e.id); }, FAST);
      await eventually('the 5 events published while down', () => got.length >= 5, 10_000, () => got.length);
      assert.deepEqual([...got].sort(), [...ids].sort());
      await restarted.close();
    });

    it('redelivers, flagged `redelivered`, an event whose consumer went away mid-handler', async () => {
      const group = fx.name('crash');
      // A short drain and lease: the first consumer gives up on its hung handler at close.
      const first = await fx.open(group, { drainTimeoutMs: 100, visibilityTimeoutMs: 300 });
      let started = 0;
      await first.subscribe('crash.*', () => {
        started++;
        return new Promise<void>(() => {}); // never settles: the consumer "dies" holding the event
      }, FAST);
      const event = await first.publish({ type: 'crash.test', data: {} });
      await eventually('the first handler to start', () => started === 1, 10_000);
      await first.close();

      const second = await fx.open(group);
      const got: Received[] = [];
      await second.subscribe('crash.*', (e, context) => { got.push({ event: e, context }); }, FAST);
      await eventually('the redelivery', () => got.length >= 1, 15_000);
      assert.equal(got[0]!.event.id, event.id);
      assert.equal(got[0]!.context.redelivered, true);
      assert.equal(got[0]!.context.attempt, 1, 'a lost consumer is not a failed attempt');
      await second.close();
    });

    it('retries a throwing handler with backoff, then dead-letters it after the configured attempts', async () => {
      const group = fx.name('retry');
      const bus = await fx.open(group);
      const attempts: number[] = [];
      const ok: string[] = [];
      await bus.subscribe('mail.*', (e, ctx) => {
        if (e.type === 'mail.poison') {
          attempts.push(ctx.attempt);
          throw new Error(`cannot send ${String((e.data as { to: string }).to)}`);
        }
        ok.push(e.id);
      }, FAST);
      const poison = await bus.publish({ type: 'mail.poison', data: { to: 'nobody' } });
      await bus.publish({ type: 'mail.fine', data: { to: 'someone' } });
      await eventually('a dead letter', () => attempts.length >= 3, 10_000, () => attempts);
      let letters: Awaited<ReturnType<EventBus['deadLetters']>> = [];
      await eventually('the dead letter to be inspectable', async () => (letters = await bus.deadLetters(group)).length > 0, 10_000);
      assert.deepEqual(attempts, [1, 2, 3], '1 attempt + 2 retries');
      assert.equal(ok.length, 1);
      assert.equal(letters.length, 1);
      assert.equal(letters[0]!.event.id, poison.id);
      assert.equal(letters[0]!.event.type, 'mail.poison');
      assert.equal(letters[0]!.attempts, 3);
      assert.match(letters[0]!.error, /cannot send nobody/);
      assert.ok(!Number.isNaN(Date.parse(letters[0]!.failedAt)));
      await bus.close();
    });

    it('re-drives one dead letter, or all, to its group only; a re-driven event that fails again is dead-lettered anew', async () => {
      const group = fx.name('redrive');
      const other = fx.name('redrive-other');
      const bus = await fx.open(group);
      let broken = true;
      const handled: string[] = [];
      const otherGot: string[] = [];
      await bus.subscribe('invoice.*', (e) => {
        if (broken) throw new Error(`mailer down for ${String((e.data as { n: number }).n)}`);
        handled.push(e.id);
      }, FAST);
      await bus.subscribe('invoice.*', (e) => { otherGot.push(e.id); }, { ...FAST, group: other });
      const events = [];
      for (let n = 1; n <= 3; n++) events.push(await bus.publish({ type: 'invoice.sent', data: { n } }));
      await eventually('three dead letters', async () => (await bus.countDeadLetters(group)) === 3, 10_000, () => bus.countDeadLetters(group));
      await eventually('the other group to handle all three', () => otherGot.length === 3, 10_000);
      assert.equal(await bus.countDeadLetters(fx.name('never-subscribed')), 0);
      assert.equal(await bus.redrive(group, 'no-such-id'), 0);

      // Still broken: the re-driven event starts over (3 attempts) and comes back with its new error.
      assert.equal(await bus.redrive(group, events[0]!.id), 1);
      await eventually('the re-driven event back in the dead letters', async () => {
        const letters = await bus.deadLetters(group);
        return letters.length === 3 && letters.some((l) => l.event.id === events[0]!.id);
      }, 10_000);
      const again = (await bus.deadLetters(group)).find((l) => l.event.id === events[0]!.id)!;
      assert.equal(again.attempts, 3, 'a re-driven event gets its attempts afresh');
      assert.match(again.error, /mailer down for 1/);

      // Fixed: one re-drive delivers that event once; then all the rest.
      broken = false;
      assert.equal(await bus.redrive(group, events[1]!.id), 1);
      await eventually('the re-driven event handled', () => handled.includes(events[1]!.id), 10_000);
      assert.equal(await bus.countDeadLetters(group), 2);
      assert.equal(await bus.redrive(group, 'all'), 2);
      await eventually('every event handled', () => handled.length === 3, 10_000, () => handled);
      await sleep(100); // would expose a duplicate arriving late
      assert.deepEqual([...handled].sort(), events.map((e) => e.id).sort(), 'each handled exactly once');
      assert.equal(await bus.countDeadLetters(group), 0);
      assert.equal(otherGot.length, 3, 're-driving never reaches another group');
      await bus.close();
    });

    it('reports its consumer groups (patterns, pending, dead letters) and the events it saw lately', async () => {
      const group = fx.name('groups');
      const bus = await fx.open(group);
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => { release = resolve; });
      await bus.subscribe(['stock.*', 'price.changed'], async () => { await gate; }, { ...FAST, concurrency: 1 });
      const first = await bus.publish({ type: 'stock.low', data: {}, headers: { traceparent } });
      await bus.publish({ type: 'stock.low', data: {} });
      await bus.publish({ type: 'price.changed', data: {} });
      await eventually('the first event to be handed to the handler', () => bus.recentEvents().some((e) => e.direction === 'consumed'), 10_000);
      const [state] = await bus.consumerGroups();
      assert.equal(state!.group, group);
      assert.deepEqual(state!.patterns, ['price.changed', 'stock.*']);
      assert.ok(state!.pending >= 2, `two events wait behind the one being handled: ${JSON.stringify(state)}`);
      assert.equal(state!.deadLetters, 0);
      release();
      await eventually('nothing pending', async () => (await bus.consumerGroups())[0]!.pending === 0, 10_000);
      const recent = bus.recentEvents();
      const published = recent.find((e) => e.id === first.id && e.direction === 'published');
      assert.equal(published?.type, 'stock.low');
      assert.equal(published?.traceId, '0af7651916cd43dd8448eb211c80319c');
      assert.ok(recent.some((e) => e.id === first.id && e.direction === 'consumed' && e.group === group));
      assert.equal(recent.filter((e) => e.direction === 'published').length, 3);
      await bus.close();
    });

    it('a throwing handler never blocks the other events of its queue', async () => {
      const group = fx.name('noblock');
      const bus = await fx.open(group);
      const good: string[] = [];
      let poisonAttempts = 0;
      // One at a time: with head-of-queue redelivery the poison event would starve everything behind it.
      await bus.subscribe('task.*', (e) => {
        if (e.type === 'task.poison') {
          poisonAttempts++;
          throw new Error('always fails');
        }
        good.push(e.id);
      }, { concurrency: 1, retries: 50, backoff: { initialMs: 200, factor: 1 } });
      await bus.publish({ type: 'task.poison', data: {} });
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await bus.publish({ type: 'task.ok', data: { i } })).id);
      await eventually('the 5 good events behind the poison one', () => good.length >= 5, 10_000, () => ({ good: good.length, poisonAttempts }));
      assert.deepEqual(good, ids);
      assert.ok(poisonAttempts >= 1);
      assert.deepEqual(await bus.deadLetters(group), [], 'the poison event still has retries left');
      await bus.close();
    });

    it('delivers a CloudEvents envelope with trace context, partition key and delivery context', async () => {
      const service = fx.name('envelope');
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const bus = await fx.open(service, { traceContext: () => ({ traceparent, tracestate: 'vendor=1' }) });
      const got: Received[] = [];
      await bus.subscribe('user.*', (event, context) => { got.push({ event, context }); }, FAST);
      const published = await bus.publish({ type: 'user.registered', data: { name: 'Ada', n: 1 }, key: 'user-42', headers: { tenant: 't1' } });
      const explicitId = '0b0c8e8e-1111-4222-8333-944445555666';
      await bus.publish({ type: 'user.renamed', data: [1, 2], id: explicitId, time: new Date('2020-01-02T03:04:05Z'), headers: { traceparent: '00-11111111111111111111111111111111-2222222222222222-00' } });
      await eventually('two events', () => got.length >= 2, 10_000);
      const first = got.find((g) => g.event.type === 'user.registered')!;
      assert.deepEqual(first.event, {
        specversion: '1.0',
        id: published.id,
        source: service,
        type: 'user.registered',
        time: published.time,
        datacontenttype: 'application/json',
        data: { name: 'Ada', n: 1 },
        traceparent,
        tracestate: 'vendor=1',
        partitionkey: 'user-42',
        headers: { tenant: 't1' },
      });
      assert.match(first.event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(Math.abs(Date.parse(first.event.time) - Date.now()) < 60_000);
      assert.deepEqual(first.context, { attempt: 1, redelivered: false, group: service });
      const second = got.find((g) => g.event.type === 'user.renamed')!;
      assert.equal(second.event.id, explicitId);
      assert.equal(second.event.time, '2020-01-02T03:04:05.000Z');
      assert.equal(second.event.traceparent, '00-11111111111111111111111111111111-2222222222222222-00');
      assert.equal(second.event.tracestate, undefined, 'an explicit traceparent replaces the ambient trace state too');
      assert.deepEqual(second.event.data, [1, 2]);
      await bus.close();
    });

    it('counts published and consumed events, handler time and lag on a given registry', async () => {
      const registry = new Registry();
      const group = fx.name('metrics');
      const bus = await fx.open(group, { registry });
      let failedOnce = false;
      const handled: string[] = [];
      await bus.subscribe('metric.*', (e) => {
        if (e.type === 'metric.flaky' && !failedOnce) {
          failedOnce = true;
          throw new Error('first try fails');
        }
        handled.push(e.type);
      }, FAST);
      await bus.publish({ type: 'metric.ok', data: {} });
      await bus.publish({ type: 'metric.flaky', data: {} });
      await eventually('both handled', () => handled.length >= 2, 10_000);
      const value = async (name: string, labels: Record<string, string>, series = name) => {
        const metric = await registry.getSingleMetric(name)!.get();
        return metric.values.find((v) => ((v as { metricName?: string }).metricName ?? name) === series && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
      };
      assert.equal(await value('bus_published_total', { type: 'metric.ok' }), 1);
      assert.equal(await value('bus_published_total', { type: 'metric.flaky' }), 1);
      assert.equal(await value('bus_consumed_total', { group, outcome: 'ack' }), 2);
      assert.equal(await value('bus_consumed_total', { group, outcome: 'retry' }), 1);
      assert.equal(await value('bus_handler_duration_seconds', { group }, 'bus_handler_duration_seconds_count'), 3);
      await eventually('the lag to drain to 0', async () => (await value('bus_consumer_lag', { group })) === 0, 10_000);
      assert.equal(await value('bus_dead_letters', { group }), 0, 'nothing dead-lettered yet');
      const text = await registry.metrics();
      assert.match(text, /# TYPE bus_consumer_lag gauge/);
      await bus.close();
    });

    it('reports the events in a group\'s dead letters as a gauge, back to 0 once re-driven and handled', async () => {
      const registry = new Registry();
      const group = fx.name('dlq-gauge');
      const bus = await fx.open(group, { registry });
      let poisoned = true;
      await bus.subscribe('parcel.*', () => {
        if (poisoned) throw new Error('depot closed');
      }, FAST);
      await bus.publish({ type: 'parcel.sent', data: {} });
      await bus.publish({ type: 'parcel.sent', data: {} });
      const deadLetters = async () => (await registry.getSingleMetric('bus_dead_letters')!.get()).values.find((v) => v.labels.group === group)?.value;
      await eventually('two dead letters in the gauge', async () => (await deadLetters()) === 2, 10_000, deadLetters);
      assert.match(await registry.metrics(), new RegExp(`bus_dead_letters\\{group="${group}"\\} 2`));
      poisoned = false;
      assert.equal(await bus.redrive(group, 'all'), 2);
      await eventually('the gauge back to 0', async () => (await deadLetters()) === 0, 10_000, deadLetters);
      await bus.close();
    });

    it('rejects bad input with coded errors before any I/O', async () => {
      const bus = await fx.open(fx.name('invalid'));
      assert.equal(bus.isReady(), true);
      await assert.rejects(bus.publish({ type: 'has space', data: {} }), (err) => isBusError(err) && err.code === 'BUS_INVALID_TYPE');
      await assert.rejects(bus.publish({ type: 'order.*', data: {} }), (err) => isBusError(err) && err.code === 'BUS_INVALID_TYPE');
      await assert.rejects(bus.publish({ type: 'ok.type', data: undefined }), (err) => isBusError(err) && err.code === 'BUS_INVALID_EVENT');
      await assert.rejects(bus.subscribe('order.**', () => {}), (err) => isBusError(err) && err.code === 'BUS_INVALID_PATTERN');
      await assert.rejects(bus.subscribe('order.*', () => {}, { retries: -1 }), (err) => isBusError(err) && err.code === 'BUS_CONFIG_INVALID');
      await bus.close();
      assert.equal(bus.isReady(), false);
      await assert.rejects(bus.publish({ type: 'order.created', data: {} }), (err) => isBusError(err) && err.code === 'BUS_CLOSED');
      await assert.rejects(bus.subscribe('order.*', () => {}), (err) => isBusError(err) && err.code === 'BUS_CLOSED');
    });
  });
}

function count(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
