import type { ManifestInput } from '../manifest/schema.js';

/**
 * The reference shop of EXAMPLE-SHOP.md as a manifest: six services, the
 * public routes (which are public and which need a token), the events each
 * service publishes and consumes, and who calls whom.
 */
export function shopManifest(system: string): ManifestInput {
  return {
    version: 1,
    name: system,
    description: 'The msx reference shop: users, products, payments, orders (an orchestrated saga over an event-sourced order), notifications.',
    services: {
      gateway: {
        kind: 'gateway',
        port: 8080,
        rateLimits: { default: { points: 500, per: '1s', by: 'ip' } },
      },
      users: {
        kind: 'http',
        port: 3001,
        database: true,
        events: { publishes: ['user.created'] },
        routes: [
          { path: '/api/users', to: '/users', methods: ['POST'], public: true },
          { path: '/api/users', to: '/users', methods: ['GET'] },
        ],
      },
      products: {
        kind: 'http',
        port: 3002,
        database: true,
        events: { subscribes: ['payment.completed'] },
        routes: [
          { path: '/api/products', to: '/products', methods: ['GET'], public: true },
          { path: '/api/products', to: '/products', methods: ['POST'] },
        ],
      },
      payments: {
        kind: 'http',
        port: 3003,
        database: true,
        events: { publishes: ['payment.completed'] },
      },
      orders: {
        kind: 'http',
        port: 3004,
        database: true,
        calls: ['users', 'products', 'payments'],
        events: { publishes: ['order.created', 'order.completed', 'order.cancelled'] },
        routes: [{ path: '/api/orders', to: '/orders', timeout: '30s' }],
      },
      notifications: {
        kind: 'worker',
        port: 3005,
        database: true,
        events: { subscribes: ['user.created', 'order.created', 'order.completed', 'order.cancelled'] },
        routes: [{ path: '/api/notifications', to: '/notifications', methods: ['GET'] }],
      },
    },
    infrastructure: {
      local: { bus: 'embedded', database: 'embedded', discovery: 'local' },
      compose: { bus: 'rabbitmq', database: 'postgres', discovery: 'dns' },
      kubernetes: { bus: 'rabbitmq', database: 'postgres', discovery: 'dns' },
    },
  };
}
