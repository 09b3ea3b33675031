import { randomUUID } from 'node:crypto';
import { HttpProblem, problems, type Service } from '@msx/runtime';
import { gatewayIdentity, requireOwnerOrScope, type RequestWithIdentity } from '@msx/runtime/auth';
import { serveContract, type z } from '@msx/runtime/contract';
import { fallbackReason, type ServiceClient } from '@msx/runtime/client';
import type { Database } from '@msx/runtime/data';
import type { AggregateRepository, EventStore } from '@msx/runtime/eventstore';
import { isSagaError, type SagaDefinition, type SagaOrchestrator } from '@msx/runtime/saga';
import { usersClient } from './clients/users.generated.js';
import { contract, type OrderDetails } from './contract.js';
import { Order } from './order.js';
import type { OrderSagaInput } from './order-saga.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface OrderRoutesDeps {
  db: Database;
  store: EventStore;
  orders: AggregateRepository<Order>;
  sagas: SagaOrchestrator;
  saga: SagaDefinition<OrderSagaInput>;
  client: ServiceClient;
}

/** Which parts of an answer are not current, and why: `{ fields, reason, source }`, as the contract declares it. */
type Degradation = NonNullable<z.input<typeof OrderDetails>['degraded']>;

// Order details must not wait long on users: the name is a courtesy, the order is this service's own data.
const USER_READ = { timeoutMs: 1_000, deadlineMs: 2_500 } as const;

export function registerRoutes(service: Service, deps: OrderRoutesDeps): void {
  const { db, store, orders, sagas, saga, client } = deps;

  /**
   * The buyer's name, read from users with the last-good-answer fallback:
   * while users is down, the name read last time (this instance keeps it),
   * marked degraded; if none was ever read here, null, marked degraded too.
   */
  async function userName(req: Parameters<ServiceClient['forRequest']>[0], userId: string): Promise<{ name: string | null; degraded?: Degradation }> {
    try {
      const user = await usersClient(client.forRequest(req)).getUser({ id: userId }, { ...USER_READ, fallback: { lastGood: true } });
      if (!user.ok) return { name: null }; // users answered: no such user (or not ours to show); nothing is degraded
      if (user.degraded === undefined) return { name: user.body.name ?? null };
      return { name: user.body.name ?? null, degraded: { fields: ['userName'], reason: user.degraded.reason, source: user.degraded.source } };
    } catch (error) {
      const reason = fallbackReason(error);
      if (reason === undefined) throw error;
      return { name: null, degraded: { fields: ['userName'], reason, source: 'none' } };
    }
  }

  // The buyer is whoever the gateway verified: identity headers signed by the gateway.
  const identity = gatewayIdentity({ required: true });

  serveContract(service, contract, {
    placeOrder: {
      use: [identity],
      handle: async ({ body: { items } }, req, res) => {
        const userId = (req as unknown as RequestWithIdentity).identity!.sub;
        const order = new Order(randomUUID());
        order.create(userId, items);
        // The order and the start of its saga commit together: a crash right
        // after the commit leaves a saga whose lease expires and that any
        // orders instance then drives, never an order without its saga.
        await db.transaction(async (tx) => {
          await orders.save(order, { tx, publish: [{ type: 'order.created', key: order.id, data: { orderId: order.id, userId, items } }] });
          await sagas.begin(saga, { orderId: order.id, userId, items }, { tx, id: order.id });
        });

        const outcome = await sagas.run(order.id).catch((error: unknown) => {
          // This instance stalled past its lease and another one drives the saga now: the order will end there.
          if (isSagaError(error) && error.code === 'SAGA_IN_PROGRESS') return undefined;
          throw error;
        });
        if (outcome === undefined) {
          res.location(`/orders/${order.id}`);
          return { status: 202, body: { id: order.id, status: 'pending' as const } };
        }
        const final = (await orders.load(order.id))!;
        if (outcome.status === 'completed') {
          res.location(`/orders/${order.id}`);
          return { status: 201, body: { id: order.id, status: final.state.status, total: final.state.total } };
        }
        if (outcome.status === 'compensated') {
          const { rows } = await db.query<{ status: number }>('SELECT status FROM order_failures WHERE order_id = $1', [order.id]);
          return { status: refusalStatus(rows[0]?.status ?? outcome.failure?.status), body: { id: order.id, status: final.state.status, reason: final.state.reason } };
        }
        throw new HttpProblem({ status: 500, title: 'Order stuck', detail: `order ${order.id} could not be completed nor compensated; it is marked stuck for an operator` });
      },
    },

    // A user reads their own orders; another user's order is answered as if it did not exist. Admins and services read any.
    // The answer names the buyer (from users); while users is down it still answers, marked `degraded`.
    getOrder: async ({ params: { id } }, req) => {
      if (!UUID.test(id)) throw problems.notFound(`no order ${id}`);
      const order = await orders.load(id);
      if (!order) throw problems.notFound(`no order ${id}`);
      requireOwnerOrScope(req, order.state.userId, { otherwise: 404, detail: `no order ${id}` });
      const [events, user] = await Promise.all([store.load(id), userName(req, order.state.userId)]);
      const history = events.map((event) => ({ type: event.type, version: event.version }));
      return {
        status: 200,
        body: {
          id,
          userId: order.state.userId,
          userName: user.name,
          status: order.state.status,
          total: order.state.total,
          items: order.state.items,
          ...(order.state.reason ? { reason: order.state.reason } : {}),
          history,
          // Present only when part of the answer is not current (users unavailable): which fields, why, from what.
          ...(user.degraded ? { degraded: user.degraded } : {}),
        },
      };
    },
  });
}

const REFUSAL_STATUSES = [400, 402, 404, 409] as const;

/** The status of a compensated order's answer: the refusal that cancelled it, as the contract declares them (else 409). */
function refusalStatus(status: number | undefined): (typeof REFUSAL_STATUSES)[number] {
  return REFUSAL_STATUSES.find((declared) => declared === status) ?? 409;
}
