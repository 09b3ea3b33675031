/**
 * The shop's invariants under the process faults a real system meets, on
 * the reference shop under `msx up -d`, through the gateway as a client
 * sees it:
 *
 * - 300 orders at concurrency 10 while the one orders instance is SIGKILLed
 *   twice, then the same with three orders instances (one of them killed
 *   each time): within 60 s of the last kill every order is `confirmed` or
 *   `cancelled`, nothing stays reserved, no cancelled order keeps a captured
 *   charge, no confirmed order was charged twice, and stock is conserved
 *   (initial = stock + reserved + what confirmed orders bought). With three
 *   instances, the only requests that fail are those in flight when the kill
 *   came.
 * - SIGTERM of one of three orders instances under load: no request fails.
 *
 * Every order a client placed is found through the user's `order-received`
 * notifications (published in the order's own transaction), so orders whose
 * answer was lost with the killed instance are checked too. Charges are read
 * from payments' port with a service token, as orders itself reads them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signServiceToken } from '../../runtime/src/auth/service-token.js';
import { until as untilAny, type PsRow } from '../support/local-system.js';
import { createShop, type ShopSystem } from '../support/shop.js';

let shop: ShopSystem;
let gatewayUrl: string;
let paymentsUrl: string;
let token: string;
let userId: string;

/** Outcomes of an order a client may get; anything else is a failed request. */
const BUSINESS_ANSWERS = new Set([201, 402, 409]);

interface Product {
  readonly id: string;
  readonly initial: number;
}
const products: Record<'pen' | 'gold' | 'rare', Product> = {} as never;

const run = (args: string[]) => shop.run(args);

async function api<T = unknown>(method: string, path: string, body?: unknown, base = gatewayUrl, bearer = token): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(40_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

before(async () => {
  shop = await createShop('msx-shop-faults-');
  gatewayUrl = shop.gatewayUrl;
  paymentsUrl = `http://127.0.0.1:${shop.ports.payments}`;
  await run(['up', '-d', '--timeout', '120s']);
  await shop.system.ps();

  const signUp = await fetch(`${gatewayUrl}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'faults@example.com', name: 'Fay' }) });
  assert.equal(signUp.status, 201);
  userId = ((await signUp.json()) as { id: string }).id;
  token = (await run(['token', '--sub', userId])).trim();
  // pen: plenty; gold: every charge declined (compensation); rare: runs out (409s).
  for (const [name, price, stock] of [['pen', 150, 5000], ['gold', 200_000, 100], ['rare', 300, 40]] as const) {
    const made = await api<{ id: string }>('POST', '/api/products', { name, price, stock });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    products[name] = { id: made.body.id, initial: stock };
  }
}, { timeout: 900_000 });

after(async () => {
  await shop?.cleanup();
});

interface Placed {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status?: number;
  readonly error?: string;
  readonly id?: string;
}

/** The i-th order of a stream: mostly pens, every 10th a declined gold bar, every 7th two of the scarce item. */
function orderBody(i: number): unknown {
  if (i % 10 === 0) return { items: [{ productId: products.gold.id, quantity: 1 }] };
  if (i % 7 === 0) return { items: [{ productId: products.rare.id, quantity: 2 }, { productId: products.pen.id, quantity: 1 }] };
  return { items: [{ productId: products.pen.id, quantity: 1 + (i % 3) }] };
}

/**
 * Places orders, `concurrency` at a time, until `count` got a business
 * answer (bounded: at most five times as many attempts), calling
 * `onAnswered` with the number answered so far after each (where faults are
 * injected). A client whose request failed waits half a second before its
 * next, as a client retrying would.
 */
async function placeOrders(count: number, concurrency: number, onAnswered: (answered: number) => void): Promise<Placed[]> {
  const results: Placed[] = [];
  let answered = 0;
  let attempts = 0;
  const worker = async () => {
    while (answered < count && attempts < 5 * count) {
      const i = attempts++;
      const startedAt = Date.now();
      let placed: Placed;
      try {
        const res = await api<{ id?: string }>('POST', '/api/orders', orderBody(i));
        placed = { startedAt, endedAt: Date.now(), status: res.status, ...(res.body?.id ? { id: res.body.id } : {}) };
      } catch (error) {
        placed = { startedAt, endedAt: Date.now(), error: (error as Error).message };
      }
      results.push(placed);
      if (placed.status !== undefined && BUSINESS_ANSWERS.has(placed.status)) onAnswered(++answered);
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

async function ordersInstances(): Promise<PsRow[]> {
  return (await shop.system.ps()).filter((r) => r.service === 'orders');
}

/** SIGKILLs the ready orders instance `id` and returns the moment of the kill. */
async function kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
  const row = (await ordersInstances()).find((r) => r.id === id && r.ready && r.pid);
  assert.ok(row, `${id} is running and ready`);
  process.kill(row.pid!, signal);
  return Date.now();
}

async function untilReady(count: number): Promise<void> {
  await untilAny(`${count} ready orders instances`, async () => {
    const rows = await ordersInstances();
    return rows.length === count && rows.every((r) => r.ready && r.state === 'ready') ? rows : undefined;
  }, 60_000);
}

/**
 * Injects faults while 300 orders are placed: at 100 and 200 settled orders,
 * `fault()` (which waits for what it needs) runs; resolves with the results
 * and the moments of the faults.
 */
async function streamWithFaults(fault: (n: number) => Promise<number>): Promise<{ placed: Placed[]; faults: number[] }> {
  const faults: Promise<number>[] = [];
  const placed = await placeOrders(300, 10, (answered) => {
    if (answered === 100 || answered === 200) faults.push(fault(faults.length));
  });
  return { placed, faults: await Promise.all(faults) };
}

interface OrderView {
  id: string;
  status: string;
  items: { productId: string; quantity: number }[];
}

/** Every order of the user (from the notifications its creation produced), once each is final, with the products' stock settled. */
async function settledShop(knownIds: readonly string[], withinMs: number): Promise<{ orders: OrderView[]; stock: Record<string, { stock: number; reserved: number }> }> {
  let last = '';
  try {
    return await untilAny('every order to end confirmed or cancelled, with nothing reserved', async () => {
      const notes = await api<{ kind: string; subject: string }[]>('GET', `/api/notifications?userId=${encodeURIComponent(userId)}`);
      if (notes.status !== 200) return undefined;
      const idsOf = (kinds: string[]) => new Set(notes.body.filter((n) => kinds.includes(n.kind)).map((n) => /order ([0-9a-f-]{36})/i.exec(n.subject)?.[1]).filter((id): id is string => id !== undefined));
      const received = idsOf(['order-received']);
      const ended = idsOf(['order-confirmed', 'order-cancelled']);
      const missing = knownIds.filter((id) => !received.has(id));
      const open = [...received].filter((id) => !ended.has(id));
      if (missing.length > 0 || open.length > 0) {
        last = `${missing.length} answered orders not yet notified, ${open.length} of ${received.size} orders without a final notification`;
        return undefined;
      }
      const orders: OrderView[] = [];
      for (const id of received) {
        const order = await api<OrderView>('GET', `/api/orders/${id}`);
        // A lone orders instance that was just killed is back within seconds; until then the read is not yet an answer.
        if (order.status === 503) {
          last = `order ${id}: orders unavailable (${JSON.stringify(order.body)})`;
          return undefined;
        }
        assert.equal(order.status, 200, `order ${id}: ${JSON.stringify(order.body)}`);
        if (order.body.status !== 'confirmed' && order.body.status !== 'cancelled') {
          last = `order ${id} is ${order.body.status}`;
          return undefined;
        }
        orders.push(order.body);
      }
      const stock: Record<string, { stock: number; reserved: number }> = {};
      for (const product of Object.values(products)) {
        const read = await api<{ stock: number; reserved: number }>('GET', `/api/products/${product.id}`);
        if (read.body.reserved !== 0) {
          last = `product ${product.id} still has ${read.body.reserved} reserved`;
          return undefined;
        }
        stock[product.id] = read.body;
      }
      return { orders, stock };
    }, withinMs, { retryOnError: false });
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${last}`);
  }
}

/** The invariants of EXAMPLE-SHOP.md over every order placed so far. */
async function assertInvariants(t: { diagnostic(message: string): void }, knownIds: readonly string[], withinMs: number): Promise<void> {
  const { orders, stock } = await settledShop(knownIds, withinMs);
  const byStatus = { confirmed: 0, cancelled: 0 };
  const bought: Record<string, number> = {};
  const serviceToken = await signServiceToken({ issuer: 'orders', audience: 'payments', secret: shop.secrets().MSX_SERVICE_TOKEN_SECRET });
  for (const order of orders) {
    byStatus[order.status as 'confirmed' | 'cancelled']++;
    const charges = await api<{ status: string }[]>('GET', `/charges?orderId=${order.id}`, undefined, paymentsUrl, serviceToken);
    assert.equal(charges.status, 200, JSON.stringify(charges.body));
    const captured = charges.body.filter((c) => c.status === 'captured').length;
    if (order.status === 'cancelled') assert.equal(captured, 0, `cancelled order ${order.id} has no captured charge left: ${JSON.stringify(charges.body)}`);
    else {
      assert.equal(captured, 1, `confirmed order ${order.id} was charged once: ${JSON.stringify(charges.body)}`);
      for (const item of order.items) bought[item.productId] = (bought[item.productId] ?? 0) + item.quantity;
    }
  }
  for (const product of Object.values(products)) {
    const now = stock[product.id]!;
    assert.equal(now.stock + now.reserved + (bought[product.id] ?? 0), product.initial, `product ${product.id}: initial = stock + reserved + bought by confirmed orders`);
  }
  t.diagnostic(`${orders.length} orders so far: ${byStatus.confirmed} confirmed, ${byStatus.cancelled} cancelled`);
  assert.ok(byStatus.confirmed > 0 && byStatus.cancelled > 0);
}

const answeredIds: string[] = [];

function summarize(placed: readonly Placed[]): string {
  const counts = new Map<string, number>();
  for (const p of placed) counts.set(String(p.status ?? p.error), (counts.get(String(p.status ?? p.error)) ?? 0) + 1);
  return JSON.stringify(Object.fromEntries(counts));
}

test('one orders instance SIGKILLed twice during 300 orders: every order ends confirmed or cancelled and the invariants hold', { timeout: 240_000 }, async (t) => {
  await untilReady(1);
  const { placed, faults } = await streamWithFaults(async (n) => {
    if (n === 1) await untilReady(1); // the supervisor restarted it after the first kill
    return kill('orders-1');
  });
  t.diagnostic(`answers: ${summarize(placed)}`);
  answeredIds.push(...placed.flatMap((p) => (p.id ? [p.id] : [])));
  assert.equal(faults.length, 2);
  // Within 60 s of the last kill, the wait for the restarted instance included.
  const deadline = faults[1]! + 60_000;
  await untilReady(1);
  await assertInvariants(t, answeredIds, Math.max(1000, deadline - Date.now()));
  assert.ok(placed.filter((p) => p.status !== undefined && BUSINESS_ANSWERS.has(p.status)).length >= 300, 'the stream went on until 300 orders were answered');
});

let threeInstances: { placed: Placed[]; faults: number[] } | undefined;

test('three orders instances, one SIGKILLed twice during 300 orders: every order ends confirmed or cancelled and the invariants hold', { timeout: 240_000 }, async (t) => {
  await run(['scale', 'orders=3']);
  await untilReady(3);
  const victims = ['orders-2', 'orders-3'];
  threeInstances = await streamWithFaults((n) => kill(victims[n]!));
  const { placed, faults } = threeInstances;
  t.diagnostic(`answers: ${summarize(placed)}`);
  answeredIds.push(...placed.flatMap((p) => (p.id ? [p.id] : [])));
  await assertInvariants(t, answeredIds, Math.max(1000, Math.max(...faults) + 60_000 - Date.now()));
});

// The gateway side of the same run: a refused connection to the dead
// instance is retried on a live one and its failures do not open the
// service's breaker (issue 9, §3, "one dead instance takes a whole service
// out").
test('three orders instances, one SIGKILLed twice: no client request fails unless it was in flight on the killed instance', () => {
  assert.ok(threeInstances, 'the three-instance run happened');
  const { placed, faults } = threeInstances;
  const failed = placed.filter((p) => p.status === undefined || !BUSINESS_ANSWERS.has(p.status));
  // A request that failed was under way on the instance when it died: started before the kill and
  // answered after it, or sent in the moment after it, on a keep-alive connection to the dead
  // instance that the gateway had not yet seen close. That POST had reached the instance's socket
  // (so it is not retried elsewhere: it may have been applied); KILL_NOTICE_MS bounds that moment.
  // Anything failing outside those windows is a real defect.
  const KILL_NOTICE_MS = 1000;
  const unexplained = failed.filter((p) => !faults.some((at) => p.startedAt <= at + KILL_NOTICE_MS && p.endedAt >= at));
  const describe = (p: Placed) => `${String(p.status ?? p.error)} (started ${faults.map((at) => `${p.startedAt - at} ms`).join(' / ')} after the kills, took ${p.endedAt - p.startedAt} ms)`;
  assert.deepEqual(unexplained.map(describe), [], 'no request failed unless it was in flight when an instance was killed');
  assert.ok(failed.length <= 20, `at most the requests in flight (10 per kill) failed: ${failed.length}`);
});

test('SIGTERM of one of three orders instances under load: no client request fails', { timeout: 180_000 }, async (t) => {
  await untilReady(3);
  let terminated: Promise<number> | undefined;
  const placed = await placeOrders(150, 10, (answered) => {
    if (answered === 50) terminated = kill('orders-1', 'SIGTERM');
  });
  assert.ok(terminated, 'the instance was sent SIGTERM mid-stream');
  await terminated;
  t.diagnostic(`answers: ${summarize(placed)}`);
  answeredIds.push(...placed.flatMap((p) => (p.id ? [p.id] : [])));
  const failed = placed.filter((p) => p.status === undefined || !BUSINESS_ANSWERS.has(p.status));
  assert.deepEqual(failed, [], 'every order got a business answer');
  // The supervisor brings the instance back; the gateway uses it again.
  await untilReady(3);
  await assertInvariants(t, answeredIds, 60_000);
});
