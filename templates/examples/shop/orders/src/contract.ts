import { defineContract, problem, z } from '@msx/runtime/contract';

// The API of orders, declared once: validated at run time and published as
// OpenAPI (msx openapi orders). orders' own typed clients (of users,
// products, payments) are generated from those services' contracts. Keep
// this file free of side effects.

function mergeLines(items: readonly { productId: string; quantity: number }[]): { productId: string; quantity: number }[] {
  const merged = new Map<string, number>();
  for (const { productId, quantity } of items) merged.set(productId.toLowerCase(), (merged.get(productId.toLowerCase()) ?? 0) + quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

// Repeated lines of one product are merged into one line: a product is reserved once per order.
export const NewOrder = z.object({
  items: z.array(z.object({ productId: z.uuid(), quantity: z.number().int().min(1).max(1000) })).min(1).max(100).transform(mergeLines),
});

const OrderStatus = z.enum(['new', 'pending', 'confirmed', 'cancelled']);

export const PlacedOrder = z.object({ id: z.uuid(), status: OrderStatus, total: z.number().int() });
export const PendingOrder = z.object({ id: z.uuid(), status: z.literal('pending') });

/** An order the saga compensated: the answer's status is the refusal that cancelled it. */
export const CancelledOrder = z.object({ id: z.uuid(), status: OrderStatus, reason: z.string().optional() });

export const OrderDetails = z.object({
  id: z.uuid(),
  userId: z.string(),
  /** From users; null when users does not know the buyer, or is down and was never read here. */
  userName: z.string().nullable(),
  status: OrderStatus,
  total: z.number().int(),
  items: z.array(z.object({ productId: z.string(), quantity: z.number().int() })),
  reason: z.string().optional(),
  history: z.array(z.object({ type: z.string(), version: z.number().int() })),
  /** Present only when part of the answer is not current (users unavailable): which fields, why, from what. */
  degraded: z
    .object({ fields: z.array(z.string()), reason: z.string(), source: z.enum(['last-good', 'default', 'none']).describe('last-good: the last value read; none: nothing known, the field is null') })
    .optional(),
});

export const contract = defineContract('orders', {
  placeOrder: {
    method: 'post',
    path: '/orders',
    summary: 'Places an order for the signed-in buyer and runs its saga: reserve stock, charge, confirm',
    description: 'A refused step (unknown user or product, out of stock, payment declined) cancels the order; the answer then has the refusal\'s status and the cancelled order.',
    body: NewOrder,
    responses: {
      201: PlacedOrder,
      202: PendingOrder.describe('another orders instance drives the saga now; the order ends there'),
      400: CancelledOrder.describe('cancelled: the order cannot be reserved as it is (a total no payment holds)'),
      402: CancelledOrder.describe('cancelled: the payment was declined'),
      404: CancelledOrder.describe('cancelled: an unknown or inactive user, or an unknown product'),
      409: CancelledOrder.describe('cancelled: not enough stock'),
    },
  },
  getOrder: {
    method: 'get',
    path: '/orders/:id',
    summary: 'One order with its history and the buyer\'s name; another user\'s order is answered as if it did not exist',
    // Any id is looked up: one that is not an order id is a 404, like an unknown one.
    params: z.object({ id: z.string() }),
    responses: { 200: OrderDetails, 404: problem('no order with this id (or it is another user\'s)') },
  },
});
