import { defineContract, money, problem, text, z } from '@msx/runtime/contract';

// The API of payments, declared once: validated at run time, published as
// OpenAPI (msx openapi payments), and the source of orders' typed client of
// payments. Every operation is internal (a service token for payments); the
// gateway routes none of them. Keep this file free of side effects.

export const OrderId = text().min(1).max(200);

// amount is an integer column: an amount beyond it is a 400 here, never a 500 (and a retried 500) from the database.
export const NewCharge = z.object({
  orderId: OrderId,
  userId: text().min(1).max(200),
  amount: money(),
});

export const Charge = z.object({
  id: z.uuid(),
  orderId: z.string(),
  amount: z.number().int(),
  status: z.enum(['captured', 'declined', 'refunded']),
});

export const contract = defineContract('payments', {
  createCharge: {
    method: 'post',
    path: '/charges',
    summary: 'Charges an order once per Idempotency-Key header (required): a retried charge answers the first one',
    description: 'Charges above 100000 cents are declined (402), so compensation can be exercised on purpose.',
    body: NewCharge,
    responses: {
      201: Charge,
      400: problem('invalid input, or the Idempotency-Key header is missing or longer than 400 characters'),
      402: problem('the payment was declined (urn:msx:shop:payment-declined)'),
    },
  },
  refundOrder: {
    method: 'post',
    path: '/refunds',
    summary: 'Refunds every captured charge of an order; refunding twice refunds once',
    body: z.object({ orderId: OrderId }),
    responses: { 200: z.object({ orderId: z.string(), refunded: z.number().int() }) },
  },
  listCharges: {
    method: 'get',
    path: '/charges',
    summary: 'The charges of an order, oldest first',
    query: z.object({ orderId: OrderId }),
    responses: { 200: z.array(Charge) },
  },
});
