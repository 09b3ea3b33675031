import { randomUUID } from 'node:crypto';
import { HttpProblem, problems, type Service } from '@msx/runtime';
import { requireServiceToken, requireUser } from '@msx/runtime/auth';
import { serveContract } from '@msx/runtime/contract';
import type { Database } from '@msx/runtime/data';
import { contract } from './contract.js';
import { release, ReservationRefused, reserve } from './inventory.js';

interface ProductRow {
  id: string;
  name: string;
  price: number;
  stock: number;
  reserved: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function registerRoutes(service: Service, db: Database): void {
  // Internal API for the order saga: only other services, with a service token.
  const internal = requireServiceToken({ audience: 'products' });

  serveContract(service, contract, {
    // Public API (through the gateway).
    createProduct: {
      // Adding to the catalogue acts for a user (the gateway's route is not public): the gateway's anonymous identity
      // is not enough. Checked before the body, as before: an anonymous caller learns nothing about the schema.
      use: [
        (req, _res, next) => {
          requireUser(req);
          next();
        },
      ],
      handle: async ({ body: input }, _req, res) => {
        const product = { id: randomUUID(), name: input.name, price: input.price, stock: input.stock };
        await db.query('INSERT INTO products (id, name, price, stock, initial_stock) VALUES ($1, $2, $3, $4, $4)', [product.id, product.name, product.price, product.stock]);
        res.location(`/products/${product.id}`);
        return { status: 201, body: product };
      },
    },

    getProduct: async ({ params: { id } }) => {
      if (!UUID.test(id)) throw problems.notFound(`no product ${id}`);
      const { rows } = await db.query<ProductRow>('SELECT id, name, price, stock, reserved FROM products WHERE id = $1', [id]);
      if (!rows[0]) throw problems.notFound(`no product ${id}`);
      return { status: 200, body: rows[0] };
    },

    reserveStock: {
      use: [internal],
      handle: async ({ body: input }) => {
        try {
          const held = await db.transaction((tx) => reserve(tx, input.orderId, input.items));
          return { status: 201, body: { orderId: input.orderId, items: held.lines, total: held.total } };
        } catch (error) {
          if (!(error instanceof ReservationRefused)) throw error;
          if (error.reason === 'unknown-product') throw problems.notFound(error.message);
          if (error.reason === 'total-too-large') throw new HttpProblem({ status: 400, title: 'Order total too large', detail: error.message, type: 'urn:msx:shop:total-too-large' });
          throw new HttpProblem({ status: 409, title: 'Out of stock', detail: error.message, type: 'urn:msx:shop:out-of-stock' });
        }
      },
    },

    releaseStock: {
      use: [internal],
      handle: async ({ params: { orderId } }) => {
        const released = await db.transaction((tx) => release(tx, orderId));
        return { status: 200, body: { orderId, released } };
      },
    },
  });
}
