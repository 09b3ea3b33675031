import type { ServiceClient } from '@msx/runtime/client';
import type { Database } from '@msx/runtime/data';
import type { AggregateRepository } from '@msx/runtime/eventstore';
import { defineSaga, StepRejectedError, type StepContext } from '@msx/runtime/saga';
import { usersClient } from './clients/users.generated.js';
import { Order, type OrderItem } from './order.js';

export interface OrderSagaInput {
  orderId: string;
  userId: string;
  items: OrderItem[];
}

interface Reservation {
  total: number;
}

/**
 * The order saga of EXAMPLE-SHOP.md: validate the user, reserve stock,
 * charge, confirm. A "no" from a service (unknown user, out of stock,
 * payment declined) is a rejection: the completed steps are compensated in
 * reverse, the last compensation cancelling the order with the recorded
 * reason. Every call carries the step's idempotency key, so a step retried
 * or resumed after a crash is applied once.
 */
export function orderSaga(deps: { client: ServiceClient; db: Database; orders: AggregateRepository<Order> }) {
  const { client, db, orders } = deps;
  const users = usersClient(client);

  /** Records why the saga was rejected, then rejects the step. */
  async function reject(ctx: StepContext<OrderSagaInput>, status: number, code: string, reason: string): Promise<never> {
    await db.query('INSERT INTO order_failures (order_id, reason, status) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING', [ctx.input.orderId, reason, status]);
    throw new StepRejectedError(reason, { code, status });
  }

  const problemDetail = (error: unknown) => {
    const detail = ((error as { problem?: unknown }).problem as { detail?: unknown } | undefined)?.detail;
    return typeof detail === 'string' ? detail : undefined;
  };
  const statusOf = (error: unknown) => (error as { code?: string; status?: number }).code === 'HTTP_STATUS' ? (error as { status: number }).status : undefined;

  return defineSaga<OrderSagaInput>({
    name: 'order',
    steps: [
      {
        // The order exists before the saga runs; undoing this step cancels it.
        name: 'open',
        action: async () => null,
        compensation: async (ctx) => {
          const { rows } = await db.query<{ reason: string }>('SELECT reason FROM order_failures WHERE order_id = $1', [ctx.input.orderId]);
          const order = await orders.load(ctx.input.orderId);
          if (order?.cancel(rows[0]?.reason ?? 'the order could not be completed')) {
            await orders.save(order, { publish: [{ type: 'order.cancelled', key: order.id, data: { orderId: order.id, userId: order.state.userId, reason: order.state.reason } }] });
          }
        },
      },
      {
        name: 'validate-user',
        action: async (ctx) => {
          // The typed client of users' contract (msx generates it from services/users/src/contract.ts):
          // a field users drops from its answer fails this service's build, not its run.
          const user = await users.getUser({ id: ctx.input.userId }, { signal: ctx.signal });
          if (!user.ok) {
            if (user.status === 404) return reject(ctx, 404, 'USER_UNKNOWN', `unknown user ${ctx.input.userId}`);
            throw new Error(`users refused to show user ${ctx.input.userId} to orders (${user.status}: ${user.problem.detail ?? user.problem.title})`);
          }
          if (!user.body.active) return reject(ctx, 404, 'USER_INACTIVE', `user ${ctx.input.userId} is not active`);
          return { userId: ctx.input.userId };
        },
      },
      {
        name: 'reserve',
        action: async (ctx) => {
          try {
            const { body } = await client.post<Reservation>('products', '/reservations', { orderId: ctx.input.orderId, items: ctx.input.items }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
            return body;
          } catch (error) {
            if (statusOf(error) === 409) return reject(ctx, 409, 'OUT_OF_STOCK', 'not enough stock for this order');
            if (statusOf(error) === 404) return reject(ctx, 404, 'PRODUCT_UNKNOWN', 'the order names an unknown product');
            // Products refuses what no payment could hold (a total above 2³¹ − 1 cents): the order is invalid, not failed.
            if (statusOf(error) === 400) return reject(ctx, 400, 'ORDER_INVALID', problemDetail(error) ?? 'the order cannot be reserved as it is');
            throw error;
          }
        },
        compensation: async (ctx) => {
          await client.delete('products', `/reservations/${encodeURIComponent(ctx.input.orderId)}`, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
        },
      },
      {
        name: 'charge',
        action: async (ctx) => {
          const { total } = ctx.results.reserve as Reservation;
          try {
            const { body } = await client.post('payments', '/charges', { orderId: ctx.input.orderId, userId: ctx.input.userId, amount: total }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
            return body;
          } catch (error) {
            if (statusOf(error) === 402) return reject(ctx, 402, 'PAYMENT_DECLINED', `the payment of ${total} cents was declined`);
            throw error;
          }
        },
        compensation: async (ctx) => {
          await client.post('payments', '/refunds', { orderId: ctx.input.orderId }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
        },
      },
      {
        name: 'confirm',
        action: async (ctx) => {
          const { total } = ctx.results.reserve as Reservation;
          const order = await orders.load(ctx.input.orderId);
          if (order?.confirm(total)) {
            await orders.save(order, { publish: [{ type: 'order.completed', key: order.id, data: { orderId: order.id, userId: order.state.userId, total } }] });
          }
          return { total };
        },
      },
    ],
  });
}
