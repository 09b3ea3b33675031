/** The contender: the same work through `@msx/runtime/bus` (publish with confirm, subscribe with manual acks). */
import { createBus } from '../../runtime/src/bus/index.js';
import type { Contender } from './raw-amqplib.js';
import { countdown, runWindowed } from './window.js';

export async function msxBus(options: { url: string; exchange?: string; dataDir?: string; group: string; window: number; prefetch: number; payload: object }): Promise<Contender> {
  const { url, exchange, dataDir, group, window, prefetch, payload } = options;
  const publisher = await createBus({ service: `${group}-pub`, url, exchange, dataDir });
  const consumer = await createBus({ service: group, url, exchange, dataDir });
  let current: ReturnType<typeof countdown> | undefined;
  await consumer.subscribe('bench.#', () => { current?.tick(); }, { concurrency: prefetch });
  return {
    async round(total) {
      current = countdown(total);
      const started = performance.now();
      await runWindowed(total, window, (i) => publisher.publish({ type: 'bench.happened', data: { ...payload, i } }));
      await current.done;
      return performance.now() - started;
    },
    async close() {
      await consumer.close();
      await publisher.close();
    },
  };
}
