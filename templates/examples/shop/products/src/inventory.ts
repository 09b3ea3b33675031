import type { Queryable } from '@msx/runtime/data';

/**
 * Moves units between stock, reserved and sold. Every move keeps
 * initial_stock = stock + reserved + sold (a table constraint checks it).
 */

export interface ReservationLine {
  productId: string;
  quantity: number;
  price: number;
}

export interface Reserved {
  lines: ReservationLine[];
  total: number;
}

/** Why an order's stock could not be held. Thrown, so the transaction rolls back what was held before it. */
export class ReservationRefused extends Error {
  constructor(readonly reason: 'unknown-product' | 'out-of-stock' | 'total-too-large', readonly productId: string) {
    super(
      reason === 'unknown-product'
        ? `no product ${productId}`
        : reason === 'out-of-stock'
          ? `not enough stock of product ${productId}`
          : `the order's total exceeds ${MAX_TOTAL_CENTS} cents, the largest amount a payment holds`,
    );
  }
}

/** The largest total a charge holds (an integer column): 2³¹ − 1 cents. */
export const MAX_TOTAL_CENTS = 2_147_483_647;

/**
 * Holds stock for an order. Call inside a transaction: a refusal throws
 * {@link ReservationRefused}, which rolls back the lines already held.
 */
export async function reserve(tx: Queryable, orderId: string, items: readonly { productId: string; quantity: number }[]): Promise<Reserved> {
  const existing = await tx.query<ReservationLine & { status: string }>(
    'SELECT product_id AS "productId", quantity, price, status FROM reservations WHERE order_id = $1 ORDER BY product_id',
    [orderId],
  );
  if (existing.rows.length > 0) return reserved(existing.rows);

  const lines: ReservationLine[] = [];
  // A fixed order of updates keeps two concurrent orders from deadlocking.
  const sorted = [...items].sort((a, b) => a.productId.localeCompare(b.productId));
  for (const item of sorted) {
    const updated = await tx.query<{ price: number }>(
      'UPDATE products SET stock = stock - $2, reserved = reserved + $2 WHERE id = $1 AND stock >= $2 RETURNING price',
      [item.productId, item.quantity],
    );
    if (updated.rows.length === 0) {
      const found = await tx.query('SELECT 1 FROM products WHERE id = $1', [item.productId]);
      throw new ReservationRefused(found.rows.length === 0 ? 'unknown-product' : 'out-of-stock', item.productId);
    }
    const price = updated.rows[0]!.price;
    await tx.query("INSERT INTO reservations (order_id, product_id, quantity, price, status) VALUES ($1, $2, $3, $4, 'held')", [orderId, item.productId, item.quantity, price]);
    lines.push({ productId: item.productId, quantity: item.quantity, price });
  }
  const held = reserved(lines);
  // Refused inside the transaction, so the lines held above roll back with it.
  if (held.total > MAX_TOTAL_CENTS) throw new ReservationRefused('total-too-large', sorted[0]!.productId);
  return held;
}

function reserved(lines: readonly ReservationLine[]): Reserved {
  const clean = lines.map(({ productId, quantity, price }) => ({ productId, quantity, price }));
  return { lines: clean, total: clean.reduce((sum, l) => sum + l.quantity * l.price, 0) };
}

/** Gives an order's units back to stock, whether still held or already sold (a refunded order). Idempotent. */
export async function release(tx: Queryable, orderId: string): Promise<number> {
  const { rows } = await tx.query<{ productId: string; quantity: number; status: string }>(
    "SELECT product_id AS \"productId\", quantity, status FROM reservations WHERE order_id = $1 AND status <> 'released' ORDER BY product_id FOR UPDATE",
    [orderId],
  );
  for (const row of rows) {
    const column = row.status === 'held' ? 'reserved' : 'sold';
    await tx.query(`UPDATE products SET stock = stock + $2, ${column} = ${column} - $2 WHERE id = $1`, [row.productId, row.quantity]);
  }
  await tx.query("UPDATE reservations SET status = 'released' WHERE order_id = $1", [orderId]);
  return rows.length;
}

/** A paid order's held units leave reserved for sold. Idempotent. */
export async function markSold(tx: Queryable, orderId: string): Promise<number> {
  const { rows } = await tx.query<{ productId: string; quantity: number }>(
    "SELECT product_id AS \"productId\", quantity FROM reservations WHERE order_id = $1 AND status = 'held' ORDER BY product_id FOR UPDATE",
    [orderId],
  );
  for (const row of rows) {
    await tx.query('UPDATE products SET reserved = reserved - $2, sold = sold + $2 WHERE id = $1', [row.productId, row.quantity]);
  }
  await tx.query("UPDATE reservations SET status = 'sold' WHERE order_id = $1 AND status = 'held'", [orderId]);
  return rows.length;
}
