import type { Manifest } from '../manifest/schema.js';

export const EVENTS_MODULE_FILE = 'src/events.generated.ts';

/**
 * `src/events.generated.ts` of a service that publishes or subscribes: the
 * event types and patterns msx.yaml declares for it, as types, and the thin
 * wiring that ties them to the runtime. msx owns this file and rewrites it
 * from the manifest; what is the user's (payload shapes in `events.ts`,
 * handlers in `handlers.ts`) lives in files msx never rewrites, and the
 * compiler says when the two disagree: a type added to `events.publishes`
 * without a payload type, or a pattern without a handler, fails the build.
 *
 * Returns undefined for a service with no events.
 */
export function eventsModule(manifest: Manifest, name: string): string | undefined {
  const service = manifest.services[name];
  if (!service || service.kind === 'gateway') return undefined;
  const { publishes, subscribes } = service.events;
  if (publishes.length === 0 && subscribes.length === 0) return undefined;
  const transactional = service.database;

  const imports = new Map<string, Set<string>>();
  const use = (module: string, ...names: string[]) => {
    const set = imports.get(module) ?? new Set<string>();
    names.forEach((n) => set.add(n));
    imports.set(module, set);
  };
  const parts: string[] = [];
  if (publishes.length > 0) {
    parts.push(`/** The event types ${name} publishes (msx.yaml: services.${name}.events.publishes). */
export const PUBLISHES = ${literal(publishes)} as const;
export type PublishedEvent = (typeof PUBLISHES)[number];
`);
    if (transactional) {
      use('@msx/runtime/data', 'Transaction');
      use('@msx/runtime/outbox', 'Outbox');
      parts.push(`/** Publishes through the outbox: the event commits with \`tx\` (and is relayed to the bus after), or not at all. */
export interface EventPublisher<P extends Record<PublishedEvent, unknown>> {
  publish<T extends PublishedEvent>(tx: Transaction, type: T, data: P[T], options?: { readonly key?: string }): Promise<string>;
}

export function eventPublisher<P extends Record<PublishedEvent, unknown>>(outbox: Outbox): EventPublisher<P> {
  return { publish: (tx, type, data, options) => outbox.add(tx, { type, data, key: options?.key }) };
}
`);
    } else {
      use('@msx/runtime/bus', 'EventBus');
      parts.push(`/**
 * Publishes straight to the bus. ${name} has no database, so there is no
 * outbox: an event is not tied to a state change. Set \`database: true\` in
 * msx.yaml to publish with the change that caused it.
 */
export interface EventPublisher<P extends Record<PublishedEvent, unknown>> {
  publish<T extends PublishedEvent>(type: T, data: P[T], options?: { readonly key?: string }): Promise<string>;
}

export function eventPublisher<P extends Record<PublishedEvent, unknown>>(bus: EventBus): EventPublisher<P> {
  return { publish: async (type, data, options) => (await bus.publish({ type, data, key: options?.key })).id };
}
`);
    }
  }
  if (subscribes.length > 0) {
    use('@msx/runtime/bus', 'DeliveryContext', 'EventBus', 'EventEnvelope');
    // One consumer group per pattern: each handler gets every event its
    // pattern matches (an event matching two patterns reaches both), with its
    // own retries and dead letters. Group names allow no `*` or `#`.
    const groups = Object.fromEntries(subscribes.map((pattern) => [pattern, `${name}.${pattern.replaceAll('*', 'any').replaceAll('#', 'all')}`]));
    parts.push(`/** The patterns ${name} subscribes to (msx.yaml: services.${name}.events.subscribes), each with its consumer group. */
export const SUBSCRIPTIONS = ${JSON.stringify(groups, null, 2)} as const;
export type SubscribedPattern = keyof typeof SUBSCRIPTIONS;
`);
    if (transactional) {
      use('@msx/runtime/data', 'Transaction');
      use('@msx/runtime/outbox', 'Inbox');
      parts.push(`/** A handler runs inside the inbox's transaction: what it writes with \`tx\` happens once per event. */
export type EventHandler = (event: EventEnvelope, tx: Transaction, context: DeliveryContext) => Promise<void>;
export type EventHandlers = { readonly [P in SubscribedPattern]: EventHandler };

/** Subscribes every handler through the inbox, so a redelivered event has no second effect. */
export async function subscribeHandlers(bus: EventBus, inbox: Inbox, handlers: EventHandlers): Promise<void> {
  for (const pattern of Object.keys(SUBSCRIPTIONS) as SubscribedPattern[]) {
    await bus.subscribe(pattern, inbox.handler(handlers[pattern]), { group: SUBSCRIPTIONS[pattern] });
  }
}
`);
    } else {
      parts.push(`/**
 * A handler gets each event at least once: ${name} has no database for an
 * inbox, so a redelivery runs it again. Set \`database: true\` in msx.yaml
 * for handlers that take effect once per event.
 */
export type EventHandler = (event: EventEnvelope, context: DeliveryContext) => Promise<void>;
export type EventHandlers = { readonly [P in SubscribedPattern]: EventHandler };

export async function subscribeHandlers(bus: EventBus, handlers: EventHandlers): Promise<void> {
  for (const pattern of Object.keys(SUBSCRIPTIONS) as SubscribedPattern[]) {
    await bus.subscribe(pattern, handlers[pattern], { group: SUBSCRIPTIONS[pattern] });
  }
}
`);
    }
  }
  return `// Generated by msx from msx.yaml (services.${name}.events). msx rewrites this
// file whenever the manifest changes: do not edit it. Payload types live in
// events.ts and handlers in handlers.ts, which are yours.
${[...imports].sort(([a], [b]) => a.localeCompare(b)).map(([module, names]) => `import type { ${[...names].sort().join(', ')} } from '${module}';`).join('\n')}

${parts.join('\n')}`;
}

function literal(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}
