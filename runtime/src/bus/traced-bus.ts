/**
 * Tracing for every bus adapter, as a wrapper: a PRODUCER span per publish
 * whose `traceparent` travels in the envelope, and a CONSUMER span per
 * delivery that continues it, active while the handler runs (so what the
 * handler calls or publishes joins the same trace). Adapters stay unaware
 * of tracing; with tracing off each call costs one check.
 */
import { context as contextApi, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { ATTR } from '../tracing/attributes.js';
import { extract, inject } from '../tracing/propagation.js';
import { withSpan } from '../tracing/spans.js';
import { tracingEnabled } from '../tracing/tracing.js';
import type { EventBus, EventHandler, PublishInput, SubscribeOptions } from './bus.js';

/**
 * The same bus with `publish` and `subscribe` traced. Everything else
 * (`kind`, `isReady`, `deadLetters`, `close`, what later versions add) is
 * the adapter's own, forwarded untouched.
 */
export function traceBus(bus: EventBus): EventBus {
  const system = bus.kind === 'amqp' ? 'rabbitmq' : bus.kind;

  function publish<T>(input: PublishInput<T>) {
    if (!tracingEnabled() || input === null || typeof input !== 'object') return bus.publish(input);
    // A traceparent given by the publisher (an outbox relaying a stored event) is the parent; else the active span.
    const parent = input.headers?.traceparent === undefined ? contextApi.active() : extract(input.headers, ROOT_CONTEXT);
    return withSpan(
      `${String(input.type)} publish`,
      { [ATTR.messagingSystem]: system, [ATTR.messagingDestination]: String(input.type), [ATTR.messagingOperation]: 'send' },
      () => bus.publish({ ...input, headers: inject({ ...input.headers }) as Record<string, string> }),
      { kind: SpanKind.PRODUCER, parent, service: bus.service },
    );
  }

  function subscribe<T>(pattern: string | readonly string[], handler: EventHandler<T>, options?: SubscribeOptions) {
    const traced: EventHandler<T> = (event, delivery) => {
      if (!tracingEnabled()) return handler(event, delivery);
      return withSpan(
        `${event.type} process`,
        {
          [ATTR.messagingSystem]: system,
          [ATTR.messagingDestination]: event.type,
          [ATTR.messagingOperation]: 'process',
          [ATTR.messagingMessageId]: event.id,
          [ATTR.messagingConsumerGroup]: delivery.group,
          'msx.delivery.attempt': delivery.attempt,
        },
        () => handler(event, delivery),
        { kind: SpanKind.CONSUMER, parent: extract(event, ROOT_CONTEXT), service: bus.service },
      );
    };
    return bus.subscribe(pattern, traced, options);
  }

  return new Proxy(bus, {
    get(target, property) {
      if (property === 'publish') return publish;
      if (property === 'subscribe') return subscribe;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
