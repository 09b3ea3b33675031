// Open-loop load at a fixed rate (what wrk2 does; Debian has no wrk2, and
// autocannon records whole milliseconds and sends each second's quota in a
// burst). Requests are scheduled every 1/rate s; latency is measured from
// the scheduled time (so a stall is charged to every request it delays,
// no coordinated omission) and also from the actual send.
// The first WARMUP_MS run at the same rate but are not recorded: they open
// the generator's connections and warm both ends, which a short round
// would otherwise count as its slowest requests.
// Usage: node fixed-rate.mjs URL RATE DURATION_S TOKEN [WARMUP_MS=500] → one JSON line.
import { Pool } from 'undici';

const [url, rateArg, durationArg, token, warmupArg] = process.argv.slice(2);
const warmupMs = Number(warmupArg ?? 500);
const rate = Number(rateArg);
const durationMs = Number(durationArg) * 1000;
const target = new URL(url);
const pool = new Pool(target.origin, { connections: 64, pipelining: 1 });
const headers = { authorization: `Bearer ${token}` };
const fromSchedule = [];
const fromSend = [];
let errors = 0;
let non2xx = 0;
let inFlight = 0;

const start = performance.now();
const intervalMs = 1000 / rate;
let sent = 0;
const warmup = Math.floor((warmupMs / 1000) * rate);
const total = warmup + Math.floor((durationMs / 1000) * rate);

/**
 * One request through undici's dispatcher API: no promise, no body stream,
 * a handler object per request. The generator shares two cores with the
 * servers it measures, so the less CPU it spends per request, the less it
 * perturbs them (measured: 54 µs of CPU per request, against 72 µs for
 * its first version on `pool.request()`).
 */
class Exchange {
  constructor(scheduledAt, recorded) {
    this.scheduledAt = scheduledAt;
    this.recorded = recorded;
    this.sentAt = performance.now();
    this.status = 0;
  }
  onRequestStart() {}
  onResponseStart(_controller, status) {
    this.status = status;
  }
  onResponseData() {}
  onResponseEnd() {
    const end = performance.now();
    inFlight -= 1;
    if (this.status < 200 || this.status > 299) non2xx += 1;
    if (!this.recorded) return;
    fromSchedule.push(end - this.scheduledAt);
    fromSend.push(end - this.sentAt);
  }
  onResponseError() {
    inFlight -= 1;
    errors += 1;
  }
}

const path = target.pathname + target.search;
const rawHeaders = ['authorization', headers.authorization];
function fire(scheduledAt, recorded) {
  inFlight += 1;
  pool.dispatch({ method: 'GET', path, headers: rawHeaders }, new Exchange(scheduledAt, recorded));
}

await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (sent < total && start + sent * intervalMs <= now) {
      fire(start + sent * intervalMs, sent >= warmup);
      sent += 1;
    }
    if (sent < total) setTimeout(tick, 1);
    else resolve();
  };
  tick();
});
while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
await pool.close();

function pct(values, p) {
  const sorted = Float64Array.from(values).sort();
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const elapsed = (performance.now() - start - warmupMs) / 1000;
console.log(
  JSON.stringify({
    requests: fromSend.length,
    achievedRate: fromSend.length / elapsed,
    errors,
    non2xx,
    p50: pct(fromSchedule, 50),
    p99: pct(fromSchedule, 99),
    p999: pct(fromSchedule, 99.9),
    sendP50: pct(fromSend, 50),
    sendP99: pct(fromSend, 99),
  }),
);
