/**
 * bench/bus: throughput of publish-with-confirm plus consume-and-ack of
 * ~1 KB persistent JSON events, through the msx bus (RabbitMQ adapter)
 * against raw amqplib doing the same work, in interleaved rounds; then the
 * embedded adapter's throughput, latency and idle CPU, for information.
 *
 *   npx tsx bench/bus/run.ts            # env: BUS_BENCH_EVENTS (20000), BUS_BENCH_ROUNDS (7),
 *                                       #      BUS_BENCH_WINDOW (100), BUS_BENCH_PREFETCH (100), MSX_BENCH_AMQP_URL
 *
 * Fairness: both sides publish on one confirm channel of their own
 * connection, keeping at most WINDOW unconfirmed publishes (one promise per
 * publish on both sides), JSON-serialise the event per publish, consume on a
 * second connection with prefetch PREFETCH, JSON-parse and ack each message
 * individually. Both message bodies are padded to the same size (1024 B).
 * Connections, queues and consumers are set up before timing. The order of
 * the two contenders alternates between rounds; the medians are compared.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { groupQueues } from '../../runtime/src/bus/amqp-topology.js';
import { createEnvelope, encodeEnvelope } from '../../runtime/src/bus/envelope.js';
import { resolveRetryPolicy } from '../../runtime/src/bus/retry-policy.js';
import { embeddedLatency } from './embedded-latency.js';
import { msxBus } from './msx-bus.js';
import { rawAmqplib, type Contender } from './raw-amqplib.js';

const url = process.env.MSX_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const events = Number(process.env.BUS_BENCH_EVENTS ?? 20_000);
const rounds = Number(process.env.BUS_BENCH_ROUNDS ?? 7);
const window = Number(process.env.BUS_BENCH_WINDOW ?? 100);
const prefetch = Number(process.env.BUS_BENCH_PREFETCH ?? 100);
const BODY_BYTES = 1024;

// Hard stop: a benchmark must never hang a shared machine.
setTimeout(() => { console.error('bench/bus: gave up after 4 minutes'); process.exit(2); }, 240_000).unref();

/** A payload whose serialised message is BODY_BYTES long, given the bytes the wrapper adds. */
function padTo(wrapperBytes: number): { pad: string } {
  return { pad: 'x'.repeat(Math.max(0, BODY_BYTES - wrapperBytes)) };
}
const msxOverhead = encodeEnvelope(createEnvelope({ type: 'bench.happened', data: { pad: '', i: 12345 } }, 'bench-xxxxxxxxxxxx-pub')).length;
const rawOverhead = JSON.stringify({ pad: '', i: 12345, time: new Date().toISOString() }).length;
const msxPayload = padTo(msxOverhead);
const rawPayload = padTo(rawOverhead);

const runId = `msxbench.${Date.now().toString(36)}`;
const rawExchange = `${runId}.raw`;
const msxExchange = `${runId}.msx`;
const rawQueue = `${runId}.raw`;
const msxGroup = `${runId}.msx`;

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function cleanup(): Promise<void> {
  const connection = await amqp.connect(url);
  const names = groupQueues(msxGroup, resolveRetryPolicy({}));
  for (const queue of [rawQueue, names.main, names.deadLetter, ...names.delays.values()]) {
    const ch = await connection.createChannel();
    ch.on('error', () => {});
    await ch.deleteQueue(queue).catch(() => {});
    await ch.close().catch(() => {});
  }
  for (const exchange of [rawExchange, msxExchange]) {
    const ch = await connection.createChannel();
    ch.on('error', () => {});
    await ch.deleteExchange(exchange).catch(() => {});
    await ch.close().catch(() => {});
  }
  await connection.close();
}

async function main(): Promise<void> {
  console.log(`bench/bus: ${events} events × ${rounds} rounds, ${BODY_BYTES} B bodies, window ${window} unconfirmed, prefetch ${prefetch}, ${url.replace(/:[^:@/]*@/, ':***@')}`);
  const raw = await rawAmqplib(url, rawExchange, rawQueue, window, prefetch, rawPayload);
  const msx = await msxBus({ url, exchange: msxExchange, group: msxGroup, window, prefetch, payload: msxPayload });
  const results: Record<'raw' | 'msx', number[]> = { raw: [], msx: [] };
  const cpuPerEvent: Record<'raw' | 'msx', number[]> = { raw: [], msx: [] };
  try {
    // Warm-up: JIT, connection buffers, queue creation on the broker.
    await raw.round(2000);
    await msx.round(2000);
    for (let r = 0; r < rounds; r++) {
      const order: Array<['raw' | 'msx', Contender]> = r % 2 === 0 ? [['raw', raw], ['msx', msx]] : [['msx', msx], ['raw', raw]];
      const line: string[] = [];
      for (const [name, contender] of order) {
        const cpuBefore = process.cpuUsage();
        const ms = await contender.round(events);
        const cpu = process.cpuUsage(cpuBefore);
        const usPerEvent = (cpu.user + cpu.system) / events;
        results[name].push(rate(events, ms));
        cpuPerEvent[name].push(usPerEvent);
        line.push(`${name} ${rate(events, ms)} msg/s (${usPerEvent.toFixed(1)} µs client CPU/event)`);
      }
      console.log(`round ${r + 1}: ${line.join(', ')}`);
    }
  } finally {
    await raw.close();
    await msx.close();
    await cleanup();
  }
  const rawMedian = median(results.raw);
  const msxMedian = median(results.msx);
  console.log(`RabbitMQ median: raw amqplib ${rawMedian} msg/s, msx bus ${msxMedian} msg/s, ratio ${(msxMedian / rawMedian).toFixed(2)}× (target ≥ 0.80×)`);
  console.log(`client CPU per event (publish + consume, median): raw ${median(cpuPerEvent.raw).toFixed(1)} µs, msx ${median(cpuPerEvent.msx).toFixed(1)} µs`);

  const dataDir = await mkdtemp(join(tmpdir(), 'msx-bus-bench-'));
  try {
    const embedded = await msxBus({ url: 'embedded', dataDir, group: 'bench-embedded', window, prefetch, payload: msxPayload });
    const embeddedEvents = Math.max(1000, Math.floor(events / 2));
    const embeddedRates: number[] = [];
    try {
      await embedded.round(1000);
      for (let r = 0; r < 3; r++) embeddedRates.push(rate(embeddedEvents, await embedded.round(embeddedEvents)));
    } finally {
      await embedded.close();
    }
    console.log(`embedded (SQLite, one process, two connections): ${embeddedRates.join(', ')} msg/s over ${embeddedEvents} events; median ${median(embeddedRates)} msg/s`);
    const latency = await embeddedLatency(dataDir, 200, 10);
    console.log(`embedded publish→handle latency across connections (200 events, 10 ms apart): p50 ${latency.p50.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms; idle consumer CPU ${latency.idleCpuPercent.toFixed(2)} %`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
