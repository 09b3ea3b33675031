/**
 * Embedded bus: publish→handle latency between two bus instances (two
 * SQLite connections, so the consumer is woken by the data_version poll
 * exactly as a separate process is), and the consumer's idle CPU.
 */
import { createBus } from '../../runtime/src/bus/index.js';

export async function embeddedLatency(dataDir: string, count: number, gapMs: number): Promise<{ p50: number; p95: number; max: number; idleCpuPercent: number }> {
  const publisher = await createBus({ service: 'latency-pub', url: 'embedded', dataDir });
  const consumer = await createBus({ service: 'latency-sub', url: 'embedded', dataDir });
  const latencies: number[] = [];
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  await consumer.subscribe('latency.*', (event) => {
    latencies.push(performance.now() - (event.data as { sentAt: number }).sentAt);
    if (latencies.length === count) resolveDone();
  });
  for (let i = 0; i < count; i++) {
    await publisher.publish({ type: 'latency.ping', data: { sentAt: performance.now() } });
    await new Promise((r) => setTimeout(r, gapMs));
  }
  await done;
  // Let the poller fall back to its idle interval, then measure 3 s of idling.
  await new Promise((r) => setTimeout(r, 2500));
  const before = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 3000));
  const cpu = process.cpuUsage(before);
  const idleCpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
  await consumer.close();
  await publisher.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1]!, idleCpuPercent };
}
