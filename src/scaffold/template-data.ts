import { envName } from '../manifest/names.js';
import type { Manifest } from '../manifest/schema.js';

/**
 * Everything a service template places, computed here so that templates hold
 * no logic beyond substitution.
 */
export interface ServiceTemplateData {
  readonly system: string;
  readonly name: string;
  readonly kind: string;
  /**
   * The port msx.yaml gives it. Generic templates must not place it: the
   * target gives each instance its PORT, so a port changed in msx.yaml takes
   * effect without editing the service's code.
   */
  readonly port: number;
  /** `orders-api` → `OrdersApi`, for type names in example code. */
  readonly typeName: string;
  /** `orders-api` → `ORDERS_API`. */
  readonly envName: string;
  /** Path the example resource is served under, e.g. `/users`. */
  readonly resourcePath: string;
  /** The service owns a database: it is attached at start, migrated from `migrations/`, and the example stores in it. */
  readonly database: boolean;
  /** SQL name of the example's table, e.g. `users` (http) or `received_events` (worker). */
  readonly table: string;
  /** Event types it publishes, each with the name of its payload type. */
  readonly publishes: readonly PublishedEventData[];
  /** Event patterns it subscribes to. */
  readonly subscribes: readonly SubscriptionData[];
  readonly publishing: boolean;
  readonly subscribing: boolean;
  /** It publishes or subscribes, so it is connected to the bus. */
  readonly bus: boolean;
  /** It publishes through the transactional outbox (which needs its database). */
  readonly outbox: boolean;
  /** Its handlers run through the inbox, once per event (which needs its database). */
  readonly inbox: boolean;
  /** The event the example POST publishes with the item it stored (http services that publish). */
  readonly examplePublish: PublishedEventData | undefined;
  /** What service.ts imports from `@msx/runtime/resources`, e.g. `attachBus, attachDatabase` ('' for none). */
  readonly resourceImports: string;
  /** What service.ts imports from `./events.generated.js` ('' for none). */
  readonly eventsImports: string;
  readonly calls: readonly string[];
  /** `{ "users": "http://127.0.0.1:3001" }`: where the services it calls listen by default, as a TypeScript literal. */
  readonly callDefaults: string;
}

export interface PublishedEventData {
  /** `user.created` */
  readonly type: string;
  /** `UserCreated`: the payload's interface in `src/events.ts`. */
  readonly typeName: string;
  /** The payload's fields as TypeScript, a starting point for the user. */
  readonly fields: readonly string[];
}

export interface SubscriptionData {
  /** `user.created`, `order.*` */
  readonly pattern: string;
  /** An event type the pattern matches, for tests: `order.*` → `order.test`. */
  readonly sample: string;
}

/** The example item's fields, as stored by the http template and carried by the event its POST publishes. */
const ITEM_FIELDS = ['id: string', 'name: string', 'createdAt: string'];

export function serviceTemplateData(manifest: Manifest, name: string): ServiceTemplateData {
  const service = manifest.services[name]!;
  const own = service.kind !== 'gateway' ? service : undefined;
  const firstRoute = own?.routes[0];
  const resourcePath = firstRoute ? (firstRoute.to ?? firstRoute.path) : `/${name}`;
  const database = own?.database ?? false;
  const publishesTypes = own?.events.publishes ?? [];
  const subscribes = (own?.events.subscribes ?? []).map((pattern) => ({ pattern, sample: pattern.replace(/[*#]/g, 'test') }));
  const examplePublishes = service.kind === 'http' && publishesTypes.length > 0;
  const bus = publishesTypes.length > 0 || subscribes.length > 0;
  const outbox = publishesTypes.length > 0 && database;
  const publishes = publishesTypes.map((type, i) => ({
    type,
    typeName: pascalCase(type.split(/[.\-_]/)),
    fields: examplePublishes && i === 0 ? ITEM_FIELDS : ['id: string'],
  }));
  return {
    system: manifest.name,
    name,
    kind: service.kind,
    port: service.port,
    typeName: pascalCase(name.split('-')),
    envName: envName(name),
    resourcePath,
    database,
    table: service.kind === 'worker' ? 'received_events' : sqlName(resourcePath, name),
    publishes,
    subscribes,
    publishing: publishes.length > 0,
    subscribing: subscribes.length > 0,
    bus,
    outbox,
    inbox: subscribes.length > 0 && database,
    examplePublish: examplePublishes ? publishes[0] : undefined,
    resourceImports: [bus && 'attachBus', database && 'attachDatabase', outbox && 'attachOutbox'].filter(Boolean).join(', '),
    eventsImports: [examplePublishes && 'eventPublisher', subscribes.length > 0 && 'subscribeHandlers'].filter(Boolean).join(', '),
    calls: own?.calls ?? [],
    callDefaults: JSON.stringify(
      Object.fromEntries((own?.calls ?? []).map((callee) => [callee, `http://127.0.0.1:${manifest.services[callee]!.port}`])),
    ),
  };
}

function pascalCase(words: readonly string[]): string {
  return words.filter(Boolean).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}

/** `/api/order-lines` → `order_lines`: the last segment of the resource path as an SQL identifier. */
function sqlName(resourcePath: string, fallback: string): string {
  const segment = resourcePath.split('/').filter((s) => s && !s.startsWith(':')).at(-1) ?? fallback;
  const name = segment.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return /^[a-z]/.test(name) ? name : `t_${name}`;
}

export interface SystemTemplateData {
  readonly system: string;
  readonly services: readonly { name: string; kind: string; port: number; start: string; routes: string }[];
  readonly gatewayUrl: string | undefined;
  readonly firstService: string | undefined;
}

export function systemTemplateData(manifest: Manifest): SystemTemplateData {
  const entries = Object.entries(manifest.services);
  const gateway = entries.find(([, s]) => s.kind === 'gateway');
  return {
    system: manifest.name,
    services: entries.map(([name, service]) => ({
      name,
      kind: service.kind,
      port: service.port,
      start: `node --env-file=.env services/${name}/dist/src/main.js`,
      routes: service.kind !== 'gateway' ? service.routes.map((r) => `${r.methods?.join('|') ?? 'ANY'} ${r.path}${r.public ? ' (public)' : ''}`).join(', ') : '',
    })),
    gatewayUrl: gateway ? `http://127.0.0.1:${gateway[1].port}` : undefined,
    firstService: entries.find(([, s]) => s.kind === 'http')?.[0],
  };
}
