import { defineContract, int32, money, problem, text, z } from '@msx/runtime/contract';

// The API of products, declared once: validated at run time, published as
// OpenAPI (msx openapi products), and the source of orders' typed client of
// products. Keep this file free of side effects.

// Bounds match the columns (integer): a value the database cannot hold is a 400 here, not a 500 there.
export const NewProduct = z.object({
  name: text().trim().min(1).max(200),
  price: money(),
  stock: int32().min(0),
});

export const Product = z.object({
  id: z.uuid(),
  name: z.string(),
  price: z.number().int(),
  stock: z.number().int(),
});

/** A product as read back: how much of its stock open orders hold. */
export const StockedProduct = Product.extend({ reserved: z.number().int() });

export const OrderId = text().min(1).max(200);

export const Reservation = z.object({
  orderId: OrderId,
  items: z
    .array(z.object({ productId: z.uuid(), quantity: int32().min(1) }))
    .min(1)
    .max(1000)
    .refine((items) => new Set(items.map((i) => i.productId)).size === items.length, { error: 'must name each product once' }),
});

export const HeldReservation = z.object({
  orderId: z.string(),
  items: z.array(z.object({ productId: z.string(), quantity: z.number().int(), price: z.number().int() })),
  /** What the order costs, in integer cents: what payments charges. */
  total: z.number().int(),
});

export const contract = defineContract('products', {
  // Public API (through the gateway).
  createProduct: {
    method: 'post',
    path: '/products',
    summary: 'Adds a product to the catalogue; acts for a signed-in user',
    body: NewProduct,
    responses: { 201: Product },
  },
  getProduct: {
    method: 'get',
    path: '/products/:id',
    summary: 'One product, with its stock and how much of it open orders hold',
    // Any id is looked up: one that is not a product id is a 404, like an unknown one.
    params: z.object({ id: z.string() }),
    responses: { 200: StockedProduct, 404: problem('no product with this id') },
  },

  // Internal API for the order saga: only other services, with a service token.
  reserveStock: {
    method: 'post',
    path: '/reservations',
    summary: 'Holds stock for an order, all lines or none (internal: service token only)',
    body: Reservation,
    responses: {
      201: HeldReservation,
      400: problem('invalid input, or the order\'s total exceeds what a payment holds (urn:msx:shop:total-too-large)'),
      404: problem('the order names an unknown product'),
      409: problem('not enough stock for a line of the order (urn:msx:shop:out-of-stock)'),
    },
  },
  releaseStock: {
    method: 'delete',
    path: '/reservations/:orderId',
    summary: 'Releases the stock an order holds; releasing twice releases once (internal: service token only)',
    params: z.object({ orderId: OrderId }),
    responses: { 200: z.object({ orderId: z.string(), released: z.number().int() }) },
  },
});
