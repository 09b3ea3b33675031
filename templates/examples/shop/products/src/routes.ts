import { randomUUID } from 'node:crypto';
import { HttpProblem, problems, validate, z, type Service } from '@msx/runtime';
import { requireServiceToken } from '@msx/runtime/auth';
import type { Database } from '@msx/runtime/data';
import { release, ReservationRefused, reserve } from './inventory.js';

const NewProduct = z.object({
  name: z.string().trim().min(1).max(200),
  price: z.number().int().min(0).describe('integer cents'),
  stock: z.number().int().min(0),
});

const Reservation = z.object({
  orderId: z.string().min(1).max(200),
  items: z.array(z.object({ productId: z.uuid(), quantity: z.number().int().min(1) })).min(1),
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
      throw new HttpProblem({ status: 409, title: 'Out of stock', detail: error.message, type: 'urn:msx:shop:out-of-stock' });
    }
  });

  service.app.delete('/reservations/:orderId', internal, async (req, res) => {
    const orderId = String(req.params.orderId);
    const released = await db.transaction((tx) => release(tx, orderId));
    res.json({ orderId, released });
  });
}
