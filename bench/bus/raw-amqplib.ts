/**
 * The baseline: amqplib used directly, the way a careful hand-written
 * service would do what the msx bus does — durable topic exchange, durable
 * queue, persistent JSON messages, a confirm channel, one consumer channel
 * with prefetch and one ack per message, JSON parsed on receipt.
 */
import amqp from 'amqplib';
import { countdown, runWindowed } from './window.js';

export interface Contender {
  /** Publishes `total` events and waits until all are consumed; returns elapsed ms. */
  round(total: number): Promise<number>;
  close(): Promise<void>;
}

export async function rawAmqplib(url: string, exchange: string, queue: string, window: number, prefetch: number, payload: object): Promise<Contender> {
  const pubConn = await amqp.connect(url);
  const subConn = await amqp.connect(url);
  const pub = await pubConn.createConfirmChannel();
  const sub = await subConn.createChannel();
  await pub.assertExchange(exchange, 'topic', { durable: true });
  await sub.assertQueue(queue, { durable: true });
  await sub.bindQueue(queue, exchange, 'bench.#');
  await sub.prefetch(prefetch);
  let current: ReturnType<typeof countdown> | undefined;
  let received = 0;
  await sub.consume(queue, (msg) => {
    if (!msg) return;
    const event = JSON.parse(msg.content.toString('utf8')) as { i: number };
    received += event.i >= 0 ? 1 : 0;
    sub.ack(msg);
    current?.tick();
  }, { noAck: false });

  return {
    async round(total) {
      current = countdown(total);
      const started = performance.now();
      await runWindowed(total, window, (i) => new Promise<void>((resolve, reject) => {
        const body = Buffer.from(JSON.stringify({ ...payload, i, time: new Date().toISOString() }));
        pub.publish(exchange, 'bench.happened', body, { persistent: true, contentType: 'application/json' }, (err: unknown) => (err ? reject(err) : resolve()));
      }));
      await current.done;
      return performance.now() - started;
    },
    async close() {
      await sub.close().catch(() => {});
      await pub.close().catch(() => {});
      await subConn.close();
      await pubConn.close();
      void received;
    },
  };
}
