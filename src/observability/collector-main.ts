/**
 * The `msx-collector` container's entrypoint: msx's trace collector on
 * 0.0.0.0:4318 (OTLP/HTTP), spans kept in MSX_COLLECTOR_DIR (a volume), and
 * `GET /msx/traces` for `msx trace`. Stops on SIGTERM/SIGINT after the last
 * write is on disk.
 */
import { startTraceCollector } from './trace-collector.js';

const collector = await startTraceCollector({
  dir: process.env.MSX_COLLECTOR_DIR ?? '/var/lib/msx-collector',
  port: Number(process.env.MSX_COLLECTOR_PORT ?? 4318),
  host: '0.0.0.0',
  serveQueries: true,
});
process.stdout.write(`${JSON.stringify({ level: 'info', time: Date.now(), service: 'msx-collector', msg: `collector listening on ${collector.url}` })}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void collector.close().then(() => process.exit(0)));
}
