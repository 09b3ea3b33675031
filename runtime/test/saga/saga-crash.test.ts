// Fault test: 200 order sagas (reserve → charge → confirm, some declined or
// out of stock) driven by an orchestrator in a child process that is
// SIGKILLed at random moments and restarted until every saga finished.
// Afterwards: each saga completed or was fully compensated, no service
// operation applied twice, stock is conserved, no cancelled order keeps a
// captured charge or a held reservation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testDatabase, type EngineName } from '../data/engines.js';
import { SCHEMA } from './fixtures/order-saga.js';

const WORKER = fileURLToPath(new URL('./fixtures/saga-worker.ts', import.meta.url));
const SAGAS = 200;

function startWorker(databaseUrl: string): { child: ChildProcess; exited: Promise<number | null>; ready: Promise<void> } {
  const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, DATABASE_URL: databaseUrl, FAILURE_RATE: '0.1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
  return { child, exited, ready };
}

for (const engine of ['postgres', 'embedded-server'] as EngineName[]) {
  test(`${engine}: 200 sagas survive an orchestrator SIGKILLed at random moments`, { timeout: 240_000 }, async (t) => {
    const tdb = await testDatabase(engine, 'orders');
    let current: ChildProcess | undefined;
    t.after(async () => {
      current?.kill('SIGKILL');
      await tdb.cleanup();
    });
    const db = await tdb.open();
    await db.exec(SCHEMA);
    const products = ['p1', 'p2', 'p3', 'p4'];
    for (const p of products) await db.query('INSERT INTO products (id, initial, stock) VALUES ($1, 120, 120)', [p]);
    for (let i = 0; i < SAGAS; i++) {
      // ~15% declined (amount > 100000); 200 orders × up to 5 units on 480 units of stock: some run out.
      const input = { product: products[i % products.length], quantity: 1 + (i % 5), amount: i % 7 === 3 ? 150_000 : 1000 + i };
      await db.query('INSERT INTO order_requests (id, input) VALUES ($1, $2)', [`order-${String(i).padStart(3, '0')}`, JSON.stringify(input)]);
    }

    const deadline = Date.now() + 200_000;
    let kills = 0;
    for (;;) {
      assert.ok(Date.now() < deadline, `sagas did not all finish in time (${kills} kills so far)`);
      const worker = startWorker(tdb.url);
      current = worker.child;
      // Killed at a random moment of its work (start-up excluded), until it once gets to finish; at most 8 kills.
      const killAfter = kills < 8 ? 50 + Math.floor(Math.random() * 700) : Infinity;
      const killTimer = worker.ready.then(() => new Promise<'kill'>((resolve) => { if (killAfter !== Infinity) setTimeout(() => resolve('kill'), killAfter); }));
      const outcome = await Promise.race([worker.exited.then((code) => ({ code })), killTimer]);
      if (outcome === 'kill') {
        worker.child.kill('SIGKILL');
        await worker.exited;
        kills++;
        continue;
      }
      assert.equal(outcome.code, 0, 'the worker finished cleanly');
      break;
    }
    current = undefined;
    t.diagnostic(`orchestrator killed ${kills} times`);
    assert.ok(kills >= 3, `the orchestrator was killed several times mid-run (${kills})`);

    const statuses = await db.query<{ status: string; n: number }>('SELECT status, count(*) AS n FROM msx_saga GROUP BY status ORDER BY status');
    t.diagnostic(`outcomes ${JSON.stringify(statuses.rows)}`);
    const byStatus = Object.fromEntries(statuses.rows.map((r) => [r.status, r.n]));
    assert.equal((byStatus.completed ?? 0) + (byStatus.compensated ?? 0), SAGAS, 'every saga completed or was compensated (none stuck or unfinished)');
    assert.ok((byStatus.completed ?? 0) > 0 && (byStatus.compensated ?? 0) > 0, 'both outcomes occurred');

    // Stock is conserved and nothing is left reserved.
    const stock = await db.query<{ id: string; initial: number; stock: number; reserved: number; sold: number }>('SELECT * FROM products ORDER BY id');
    for (const p of stock.rows) {
      assert.equal(p.stock + p.reserved + p.sold, p.initial, `product ${p.id}: initial = stock + reserved + sold`);
      assert.equal(p.reserved, 0, `product ${p.id}: nothing reserved once idle`);
    }
    const soldByReservations = await db.query<{ product: string; q: number }>("SELECT product, sum(quantity)::int AS q FROM reservations WHERE status = 'sold' GROUP BY product ORDER BY product");
    assert.deepEqual(soldByReservations.rows.map((r) => [r.product, r.q]), stock.rows.filter((p) => p.sold > 0).map((p) => [p.id, p.sold]), 'sold stock matches sold reservations: no reservation applied twice');

    // Completed sagas: sold reservation, captured charge, confirmed order. Compensated: none of these left.
    const perSaga = await db.query<{ id: string; status: string; reservation: string | null; charge: string | null; order_status: string | null; failure: { code: string } | null }>(
      `SELECT s.id, s.status, r.status AS reservation, c.status AS charge, o.status AS order_status, s.failure
       FROM msx_saga s LEFT JOIN reservations r ON r.saga_id = s.id LEFT JOIN charges c ON c.saga_id = s.id LEFT JOIN orders o ON o.saga_id = s.id`);
    for (const row of perSaga.rows) {
      if (row.status === 'completed') {
        assert.deepEqual([row.reservation, row.charge, row.order_status], ['sold', 'captured', 'confirmed'], `completed saga ${row.id}`);
      } else {
        assert.notEqual(row.charge, 'captured', `cancelled ${row.id} has no unrefunded charge`);
        assert.notEqual(row.reservation, 'held', `cancelled ${row.id} holds no reservation`);
        assert.notEqual(row.reservation, 'sold', `cancelled ${row.id} sold nothing`);
        assert.equal(row.order_status, null, `cancelled ${row.id} was never confirmed`);
      }
    }
    const declined = perSaga.rows.filter((r) => r.failure?.code === 'PAYMENT_DECLINED').length;
    const outOfStock = perSaga.rows.filter((r) => r.failure?.code === 'OUT_OF_STOCK').length;
    t.diagnostic(`compensated: ${declined} declined, ${outOfStock} out of stock, ${(byStatus.compensated ?? 0) - declined - outOfStock} other`);
    assert.ok(declined > 0, 'some payments were declined');

    // The log was written before and after every step.
    const unbalanced = await db.query<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT saga_id, step FROM msx_saga_step GROUP BY saga_id, step
         HAVING count(*) FILTER (WHERE event = 'started') = 0 AND count(*) FILTER (WHERE event IN ('completed', 'failed')) > 0) x`);
    assert.equal(unbalanced.rows[0]!.n, 0, 'every completed or failed step has a started entry');
    const applications = await db.query<{ operation: string; n: number }>('SELECT operation, count(*) AS n FROM applications GROUP BY operation ORDER BY operation');
    t.diagnostic(`applications by key ${JSON.stringify(applications.rows)}`);
  });
}
