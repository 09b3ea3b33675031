import { randomUUID } from 'node:crypto';
import { HttpProblem, problems, type Service } from '@msx/runtime';
import { requireServiceToken } from '@msx/runtime/auth';
import { serveContract } from '@msx/runtime/contract';
import { isUniqueViolation, type Database } from '@msx/runtime/data';
import type { Outbox } from '@msx/runtime/outbox';
import { contract } from './contract.js';

/** Charges above this many cents are declined, so compensation can be exercised on purpose. */
export const DECLINE_ABOVE_CENTS = 100_000;

interface ChargeRow {
  id: string;
  orderId: string;
  amount: number;
  status: 'captured' | 'declined' | 'refunded';
}

const CHARGE_COLUMNS = 'id, order_id AS "orderId", amount, status';

export function registerRoutes(service: Service, db: Database, outbox: Outbox): void {
  const internal = requireServiceToken({ audience: 'payments' });

  serveContract(service, contract, {
    createCharge: {
      // The key is checked before the body, as the one thing no retry may lack.
      use: [
        internal,
        (req, _res, next) => {
          const key = req.get('idempotency-key');
          if (!key) throw problems.badRequest('an Idempotency-Key header is required: a retried charge must not charge twice');
          if (key.length > 400) throw problems.badRequest('the Idempotency-Key header must be at most 400 characters');
          next();
        },
      ],
      handle: async ({ body: input }, req) => {
        const key = req.get('idempotency-key')!;
        let charge = await findByKey(db, key);
        if (!charge) {
          const status = input.amount > DECLINE_ABOVE_CENTS ? 'declined' : 'captured';
          const row: ChargeRow = { id: randomUUID(), orderId: input.orderId, amount: input.amount, status };
          try {
            await db.transaction(async (tx) => {
              await tx.query('INSERT INTO charges (id, idempotency_key, order_id, user_id, amount, status) VALUES ($1, $2, $3, $4, $5, $6)', [row.id, key, row.orderId, input.userId, row.amount, row.status]);
              if (status === 'captured') {
                await outbox.add(tx, { type: 'payment.completed', key: row.orderId, data: { orderId: row.orderId, chargeId: row.id, amount: row.amount } });
              }
            });
            charge = row;
          } catch (error) {
            // Two concurrent retries with one key: the loser answers what the winner stored.
            if (!isUniqueViolation(error)) throw error;
            charge = (await findByKey(db, key))!;
          }
        }
        if (charge.status === 'declined') {
          throw new HttpProblem({ status: 402, title: 'Payment declined', detail: `a charge of ${charge.amount} cents was declined`, type: 'urn:msx:shop:payment-declined' });
        }
        return { status: 201, body: charge };
      },
    },

    // Refunds every captured charge of an order. Idempotent: refunding twice refunds once.
    refundOrder: {
      use: [internal],
      handle: async ({ body: { orderId } }) => {
        const { rows } = await db.query<ChargeRow>(
          `UPDATE charges SET status = 'refunded', refunded_at = now() WHERE order_id = $1 AND status = 'captured' RETURNING ${CHARGE_COLUMNS}`,
          [orderId],
        );
        return { status: 200, body: { orderId, refunded: rows.length } };
      },
    },

    listCharges: {
      use: [internal],
      handle: async ({ query: { orderId } }) => {
        const { rows } = await db.query<ChargeRow>(`SELECT ${CHARGE_COLUMNS} FROM charges WHERE order_id = $1 ORDER BY created_at`, [orderId]);
        return { status: 200, body: rows };
      },
    },
  });
}

async function findByKey(db: Database, key: string): Promise<ChargeRow | undefined> {
  const { rows } = await db.query<ChargeRow>(`SELECT ${CHARGE_COLUMNS} FROM charges WHERE idempotency_key = $1`, [key]);
  return rows[0];
}
