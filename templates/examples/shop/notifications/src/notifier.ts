import type { EventEnvelope } from '@msx/runtime/bus';
import type { Database } from '@msx/runtime/data';

/** What each event becomes: a notification kind and its subject line. */
const RULES: Record<string, (data: Record<string, unknown>) => { userId: string; kind: string; subject: string }> = {
  'user.created': (d) => ({ userId: String(d.id), kind: 'welcome', subject: `Welcome to the shop, ${String(d.name)}!` }),
  'order.created': (d) => ({ userId: String(d.userId), kind: 'order-received', subject: `We received order ${String(d.orderId)}` }),
  'order.completed': (d) => ({ userId: String(d.userId), kind: 'order-confirmed', subject: `Order ${String(d.orderId)} is confirmed` }),
  'order.cancelled': (d) => ({ userId: String(d.userId), kind: 'order-cancelled', subject: `Order ${String(d.orderId)} was cancelled: ${String(d.reason)}` }),
};

export const SUBSCRIPTIONS = Object.keys(RULES);

/**
 * Records the notification an event calls for. Idempotent by event id (a
 * redelivered event inserts nothing), and at most one welcome per user.
 */
export async function notify(db: Database, event: EventEnvelope): Promise<void> {
  const rule = RULES[event.type];
  if (!rule) return;
  const note = rule((event.data ?? {}) as Record<string, unknown>);
  await db.query(
    'INSERT INTO notifications (event_id, user_id, kind, subject, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
    [event.id, note.userId, note.kind, note.subject, event.time],
  );
}
