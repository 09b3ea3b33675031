import { createBus, type EventBus } from '../bus/index.js';
import type { Service } from '../service/service.js';

export interface AttachBusOptions {
  /** Default: env `MSX_BUS_URL`, else the embedded bus. */
  readonly url?: string;
}

/** Connects the service to the event bus, and ties it to `/ready` and shutdown. */
export async function attachBus(service: Service, options: AttachBusOptions = {}): Promise<EventBus> {
  const bus = await createBus({
    service: service.name,
    url: options.url ?? process.env.MSX_BUS_URL,
    registry: service.metrics.registry,
    logger: service.log,
  });
  service.onClose('bus', () => bus.close());
  service.readiness.add('bus', () => bus.isReady());
  return bus;
}
