// One measurement in a fresh process (its V8 flags chosen by run.mjs): opens
// `--engines` embedded engines served on the wire protocol, the way the
// `msx up` supervisor does, and drives each the way a service does, through
// `pg` (createDatabase): the outbox pattern (transactions of 100 × an INSERT
// plus outbox.add, the relay's SELECT + UPDATE of 500), the inbox side (one
// short transaction per event), point SELECTs, and
// aggregates over all rows (work inside the engine rather than on the wire). Prints one JSON line.
import { readFileSync } from 'node:fs';
import { createDatabase, startEmbeddedPostgres } from '../../runtime/dist/data/index.js';
import { createOutbox, OutboxRelay } from '../../runtime/dist/outbox/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const ENGINES = arg('engines', 1);
const EVENTS = arg('events', 2000); // per engine and pass
const PASSES = arg('passes', 3); // pass 1 includes compiling (and tiering up); later passes are steady state

const kb = (file, field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? 0) / 1024;
const memory = () => ({ pssMB: kb('/proc/self/smaps_rollup', 'Pss'), rssMB: kb('/proc/self/status', 'VmRSS') });
const cpuS = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

const noBus = { async publish() {}, async close() {} }; // the relay's reads and writes, without a broker
const startedCpu = cpuS();
const engines = [];
for (let e = 0; e < ENGINES; e++) {
  const server = await startEmbeddedPostgres({});
  const db = await createDatabase({ service: `bench${e}`, url: server.url });
  await db.exec('CREATE TABLE orders (n integer PRIMARY KEY, body text NOT NULL); CREATE TABLE effects (event_id text NOT NULL, n integer NOT NULL)');
  const outbox = await createOutbox({ db });
  const relay = new OutboxRelay({ outbox, bus: noBus, batchSize: 500, pollIntervalMs: 60_000 });
  engines.push({ server, db, outbox, relay });
}
const openCpuS = cpuS() - startedCpu;
const afterOpen = memory();

async function pass(engine, offset) {
  const t = {};
  let at = performance.now();
  for (let start = offset; start < offset + EVENTS; start += 100) {
    await engine.db.transaction(async (tx) => {
      for (let n = start; n < start + 100; n++) {
        await tx.query('INSERT INTO orders (n, body) VALUES ($1, $2)', [n, `order ${n}`]);
        await engine.outbox.add(tx, { type: 'order.created', data: { n }, key: `k${n % 50}` });
      }
    });
  }
  t.outboxInsertMs = performance.now() - at;
  at = performance.now();
  while (await engine.relay.runOnce() > 0);
  t.relayMs = performance.now() - at;
  at = performance.now();
  for (let n = offset; n < offset + EVENTS; n++) {
    await engine.db.transaction(async (tx) => {
      await tx.query('INSERT INTO effects (event_id, n) VALUES ($1, $2)', [`e${n}`, n]);
    });
  }
  t.inboxTxMs = performance.now() - at;
  at = performance.now();
  for (let n = offset; n < offset + EVENTS; n++) await engine.db.query('SELECT n, body FROM orders WHERE n = $1', [n]);
  t.pointSelectMs = performance.now() - at;
  at = performance.now();
  const scanCpu = cpuS();
  // Work inside the engine rather than on the wire: aggregates over every row so far (a report, a backlog count).
  for (let i = 0; i < 20; i++) {
    await engine.db.query("SELECT key, count(*), max(seq), sum((data->>'n')::int) FROM msx_outbox GROUP BY key ORDER BY key");
    await engine.db.query('SELECT count(*) FROM orders o JOIN effects e ON e.n = o.n WHERE o.body LIKE $1', ['order 1%']);
  }
  t.scanMs = performance.now() - at;
  t.scanCpuS = cpuS() - scanCpu;
  return t;
}

const passes = [];
for (let p = 0; p < PASSES; p++) {
  const cpuBefore = cpuS();
  const results = [];
  for (const [e, engine] of engines.entries()) results.push(await pass(engine, p * EVENTS + e * 0));
  const sum = (key) => results.reduce((s, r) => s + r[key], 0);
  passes.push({ outboxInsertMs: sum('outboxInsertMs'), relayMs: sum('relayMs'), inboxTxMs: sum('inboxTxMs'), pointSelectMs: sum('pointSelectMs'), scanMs: sum('scanMs'), scanCpuS: sum('scanCpuS'), cpuS: cpuS() - cpuBefore });
}
await new Promise((r) => setTimeout(r, 3000)); // background TurboFan jobs finish, idle
const idle = memory();
for (const engine of engines) { await engine.relay.stop(); await engine.db.close(); await engine.server.close(); }
console.log(JSON.stringify({ engines: ENGINES, events: EVENTS, openCpuS, afterOpen, idle, passes }));
