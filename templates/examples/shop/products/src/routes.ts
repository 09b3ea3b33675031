import { randomUUID } from 'node:crypto';
import { HttpProblem, int32, money, problems, text, validate, z, type Service } from '@msx/runtime';
import { requireServiceToken, requireUser } from '@msx/runtime/auth';
import type { Database } from '@msx/runtime/data';
import { release, ReservationRefused, reserve } from './inventory.js';

// Bounds match the columns (integer): a value the database cannot hold is a 400 here, not a 500 there.
const NewProduct = z.object({
  name: text().trim().min(1).max(200),
  price: money(),
  stock: int32().min(0),
});

const OrderId = text().min(1).max(200);

const Reservation = z.object({
  orderId: OrderId,
  items: z
    .array(z.object({ productId: z.uuid(), quantity: int32().min(1) }))
    .min(1)
    .max(1000)
    .refine((items) => new Set(items.map((i) => i.productId)).size === items.length, { error: 'must name each product once' }),
});

interface ProductRow {
  id: string;
  name: string;
  price: number;
  stock: number;
  reserved: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerRoutes(service: Service, db: Database): void {
  // Public API (through the gateway).
  service.app.post('/products', async (req, res) => {
    // Adding to the catalogue acts for a user (the gateway's route is not public): the gateway's anonymous identity is not enough.
    requireUser(req);
    const input = validate(NewProduct, req.body);
    const product = { id: randomUUID(), name: input.name, price: input.price, stock: input.stock };
    await db.query('INSERT INTO products (id, name, price, stock, initial_stock) VALUES ($1, $2, $3, $4, $4)', [product.id, product.name, product.price, product.stock]);
    res.status(201).location(`/products/${product.id}`).json(product);
  });

  service.app.get('/products/:id', async (req, res) => {
    const id = req.params.id;
    if (!UUID.test(id)) throw problems.notFound(`no product ${id}`);
    const { rows } = await db.query<ProductRow>('SELECT id, name, price, stock, reserved FROM products WHERE id = $1', [id]);
    if (!rows[0]) throw problems.notFound(`no product ${id}`);
    res.json(rows[0]);
  });

  // Internal API for the order saga: only other services, with a service token.
  const internal = requireServiceToken({ audience: 'products' });

  service.app.post('/reservations', internal, async (req, res) => {
    const input = validate(Reservation, req.body);
    try {
      const held = await db.transaction((tx) => reserve(tx, input.orderId, input.items));
      res.status(201).json({ orderId: input.orderId, items: held.lines, total: held.total });
    } catch (error) {
      if (!(error instanceof ReservationRefused)) throw error;
      if (error.reason === 'unknown-product') throw problems.notFound(error.message);
      if (error.reason === 'total-too-large') throw new HttpProblem({ status: 400, title: 'Order total too large', detail: error.message, type: 'urn:msx:shop:total-too-large' });
      throw new HttpProblem({ status: 409, title: 'Out of stock', detail: error.message, type: 'urn:msx:shop:out-of-stock' });
    }
  });

  service.app.delete('/reservations/:orderId', internal, async (req, res) => {
    const orderId = validate(OrderId, req.params.orderId);
    const released = await db.transaction((tx) => release(tx, orderId));
    res.json({ orderId, released });
  });
}
