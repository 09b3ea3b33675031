/**
 * `@msx/runtime/bus`: the event bus. `createBus` is the one place that turns
 * configuration into an adapter; services never branch on the transport.
 *
 *   const bus = await createBus({ service: 'orders' });          // env MSX_BUS_URL, else embedded
 *   await bus.subscribe('payment.*', onPayment);                 // group = 'orders'
 *   await bus.publish({ type: 'order.created', data: order, key: order.id });
 */
import type { EventBus } from './bus.js';
import { BusError } from './errors.js';
import { redactUrl } from '../config/redact-url.js';
import { openAmqpBus, type AmqpBusOptions } from './amqp.js';
import { openEmbeddedBus, type EmbeddedBusOptions } from './embedded.js';
import type { CommonBusOptions } from './options.js';
import { traceBus } from './traced-bus.js';
import { exposeBus } from '../admin/admin-sources.js';

export type {
  BackoffOptions,
  ConsumerGroupState,
  DeadLetter,
  DeliveryContext,
  EventBus,
  EventEnvelope,
  EventHandler,
  PublishInput,
  SubscribeOptions,
  Subscription,
} from './bus.js';
export type { RecentEvent } from './recent-events.js';
export type { TraceContext, TraceContextProvider } from './envelope.js';
export type { BusLogger, CommonBusOptions } from './options.js';
export { BusError, isBusError, type BusErrorCode } from './errors.js';
export { topicMatches } from './topic.js';

export interface CreateBusOptions
  extends CommonBusOptions,
    Omit<EmbeddedBusOptions, keyof CommonBusOptions>,
    Omit<AmqpBusOptions, keyof CommonBusOptions | 'url'> {
  /**
   * `amqp://…` / `amqps://…` for RabbitMQ, `embedded` for the broker-less
   * SQLite bus. Default: env `MSX_BUS_URL`, else `embedded`.
   */
  readonly url?: string;
}

/** Resolves `url` (or `MSX_BUS_URL`) to an adapter and opens it; publishes and deliveries are traced when tracing is on. */
export async function createBus(options: CreateBusOptions): Promise<EventBus> {
  const url = (options.url ?? process.env.MSX_BUS_URL ?? '').trim() || 'embedded';
  if (url === 'embedded') return exposed(traceBus(await openEmbeddedBus(options)), options);
  if (/^amqps?:\/\//i.test(url)) return exposed(traceBus(await openAmqpBus({ ...options, url })), options);
  throw new BusError(
    'BUS_CONFIG_INVALID',
    `Expected the bus \`url\` (or MSX_BUS_URL) to be "embedded" or an amqp:// / amqps:// URL, got ${JSON.stringify(/:\/\//.test(url) ? redactUrl(url) : url)}`,
    { data: { url: redactUrl(url) } },
  );
}

/** Shown on the admin surface of the service whose registry it got, until closed. */
function exposed(bus: EventBus, options: CreateBusOptions): EventBus {
  const hide = exposeBus(options.registry, bus);
  const close = bus.close.bind(bus);
  return new Proxy(bus, {
    get(target, property) {
      if (property === 'close') return async () => { hide(); await close(); };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
