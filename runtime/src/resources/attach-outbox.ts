import type { EventBus } from '../bus/index.js';
import type { Database } from '../data/index.js';
import { createOutbox, OutboxRelay, type Outbox } from '../outbox/index.js';
import type { Service } from '../service/service.js';

/**
 * Opens the service's outbox and starts relaying it to the bus. Register it
 * after the bus and the database: shutdown closes in reverse, so the relay
 * stops before what it uses.
 */
export async function attachOutbox(service: Service, db: Database, bus: EventBus): Promise<Outbox> {
  const outbox = await createOutbox({ db });
  const relay = new OutboxRelay({ outbox, bus, registry: service.metrics.registry, logger: service.log }).start();
  service.onClose('outbox relay', () => relay.stop());
  return outbox;
}
