import type { ServiceClient } from '@msx/runtime/client';
import type { Database } from '@msx/runtime/data';
import type { AggregateRepository } from '@msx/runtime/eventstore';
import { defineSaga, StepRejectedError, type StepContext } from '@msx/runtime/saga';
import { paymentsClient } from './clients/payments.generated.js';
import { productsClient } from './clients/products.generated.js';
import { usersClient } from './clients/users.generated.js';
import { Order, type OrderItem } from './order.js';

/** What the reserve step keeps for the steps after it: the total products computed. */
interface Reservation {
  total: number;
}

export interface OrderSagaInput {
  orderId: string;
  userId: string;
  items: OrderItem[];
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
  // The typed clients of the contracts of users, products and payments (msx generates them from each
  // service's src/contract.ts): a field a callee drops from its answer fails this service's build, not its run.
  const users = usersClient(client);
  const products = productsClient(client);
  const payments = paymentsClient(client);

  /** Records why the saga was rejected, then rejects the step. */
  async function reject(ctx: StepContext<OrderSagaInput>, status: number, code: string, reason: string): Promise<never> {
    await db.query('INSERT INTO order_failures (order_id, reason, status) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING', [ctx.input.orderId, reason, status]);
    throw new StepRejectedError(reason, { code, status });
  }

  /**
   * A refusal the saga has no answer for (a compensation refused, a charge payments finds invalid): thrown with
   * the callee's status, which the saga classifies as the untyped client's status errors — a 4xx step is not
   * retried but fails, a compensation is retried until it gives up and the order is marked stuck.
   */
  const refused = (what: string, result: { status: number; problem: { detail?: string; title?: string } }): never => {
    throw Object.assign(new Error(`${what} was refused (${result.status}: ${result.problem.detail ?? result.problem.title})`), { status: result.status });
  };

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
          const held = await products.reserveStock({ body: { orderId: ctx.input.orderId, items: atLeastOne(ctx.input.items) } }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
          if (held.ok) return { total: held.body.total };
          if (held.status === 409) return reject(ctx, 409, 'OUT_OF_STOCK', 'not enough stock for this order');
          if (held.status === 404) return reject(ctx, 404, 'PRODUCT_UNKNOWN', 'the order names an unknown product');
          // Products refuses what no payment could hold (a total above 2³¹ − 1 cents): the order is invalid, not failed.
          return reject(ctx, 400, 'ORDER_INVALID', held.problem.detail ?? 'the order cannot be reserved as it is');
        },
        compensation: async (ctx) => {
          const released = await products.releaseStock({ orderId: ctx.input.orderId }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
          if (!released.ok) refused(`releasing the stock of order ${ctx.input.orderId}`, released);
        },
      },
      {
        name: 'charge',
        action: async (ctx) => {
          const { total } = ctx.results.reserve as Reservation;
          const charged = await payments.createCharge({ body: { orderId: ctx.input.orderId, userId: ctx.input.userId, amount: total } }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
          if (charged.ok) return charged.body;
          if (charged.status === 402) return reject(ctx, 402, 'PAYMENT_DECLINED', `the payment of ${total} cents was declined`);
          // A 400 here is this service's bug (it sent what payments' contract refuses): failed, not the buyer's fault.
          return refused(`the charge of order ${ctx.input.orderId}`, charged);
        },
        compensation: async (ctx) => {
          const refunded = await payments.refundOrder({ body: { orderId: ctx.input.orderId } }, { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
          if (!refunded.ok) refused(`the refund of order ${ctx.input.orderId}`, refunded);
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

/** The order's lines as products' contract takes them, at least one: orders' own contract already refused an empty order. */
function atLeastOne<T>(items: readonly T[]): [T, ...T[]] {
  const [first, ...rest] = items;
  if (first === undefined) throw new TypeError('an order has at least one line');
  return [first, ...rest];
}
