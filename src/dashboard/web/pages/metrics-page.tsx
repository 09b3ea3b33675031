/**
 * Live charts per service of what `msx metrics` prints — request rate,
 * error rate, p50/p95/p99 latency, in-flight requests, memory and consumer
 * lag — from the same windows (the server scrapes every instance every two
 * seconds and does the same arithmetic), with the latest window as a table;
 * above them, the alert rules of `msx alerts` that are firing or pending.
 */
import { useState } from 'preact/hooks';
import type { DashboardAlert, ServiceMetrics, useLive } from '../api.js';
import { Chart } from '../chart.js';
import { bytes, duration, uptime } from '../format.js';

type Pick = (m: ServiceMetrics) => number | null;

const CHARTS: { title: string; unit: string; pick: Pick }[] = [
  { title: 'requests per second', unit: 'req/s', pick: (m) => m.requestsPerSecond },
  { title: 'error rate (5xx share)', unit: '%', pick: (m) => (m.errorRate === null ? null : m.errorRate * 100) },
  { title: 'p50 latency', unit: 'ms', pick: (m) => m.p50Ms },
  { title: 'p95 latency', unit: 'ms', pick: (m) => m.p95Ms },
  { title: 'p99 latency', unit: 'ms', pick: (m) => m.p99Ms },
  { title: 'in-flight requests', unit: '', pick: (m) => m.inFlight },
  { title: 'memory', unit: 'MiB', pick: (m) => (m.memoryBytes === null ? null : m.memoryBytes / 1024 ** 2) },
  { title: 'consumer lag', unit: 'events', pick: (m) => m.consumerLag },
];

export function MetricsPage({ live }: { live: ReturnType<typeof useLive> }) {
  const [only, setOnly] = useState('');
  const points = live.metrics;
  const latest = points[points.length - 1];
  const all = [...new Set(points.flatMap((p) => p.services.map((s) => s.service)))].sort();
  const services = only ? [only] : all;
  const x = points.map((p) => p.at / 1000);
  return (
    <>
      <form class="filters" aria-label="Metrics filter" onSubmit={(e) => e.preventDefault()}>
        <label>service
          <select value={only} onChange={(e) => setOnly((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {all.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <span class="muted" role="status">{latest ? `window ending ${new Date(latest.at).toLocaleTimeString()}` : 'measuring the first 2 s window…'}</span>
      </form>
      <Alerts alerts={live.alerts.filter((a) => services.includes(a.service))} measured={latest !== undefined} />
      {latest && (
        <table class="grid">
          <thead><tr>{['service', 'instances', 'req/s', 'errors', 'p50', 'p95', 'p99', 'in-flight', 'memory', 'lag'].map((h) => <th scope="col" key={h}>{h}</th>)}</tr></thead>
          <tbody>
            {latest.services.filter((m) => services.includes(m.service)).map((m) => (
              <tr key={m.service} data-service={m.service}>
                <th scope="row">{m.service}</th>
                <td class="num">{m.unreachable > 0 ? `${m.instances - m.unreachable}/${m.instances}` : m.instances}</td>
                <td class="num">{m.requestsPerSecond.toFixed(1)}</td>
                <td class="num">{m.errorRate === null ? '–' : `${(m.errorRate * 100).toFixed(1)}%`}</td>
                <td class="num">{duration(m.p50Ms)}</td>
                <td class="num">{duration(m.p95Ms)}</td>
                <td class="num">{duration(m.p99Ms)}</td>
                <td class="num">{m.inFlight ?? '–'}</td>
                <td class="num">{bytes(m.memoryBytes)}</td>
                <td class="num">{m.consumerLag ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="charts">
        {CHARTS.map((c) => (
          <Chart key={c.title} title={c.title} unit={c.unit} series={services} x={x}
            ys={services.map((s) => points.map((p) => {
              const m = p.services.find((v) => v.service === s);
              return m ? c.pick(m) : null;
            }))} />
        ))}
      </div>
    </>
  );
}

/** How long a rule has held, as the Instances page writes uptime (`held 4s of 2m`, `held 1m30s of 2m`). */
function held(alert: DashboardAlert, now: number): string {
  return alert.activeSince === null ? alert.for : `held ${uptime(Date.parse(alert.activeSince), now)} of ${alert.for}`;
}

function Alerts({ alerts, measured }: { alerts: DashboardAlert[]; measured: boolean }) {
  const active = alerts.filter((a) => a.state === 'firing' || a.state === 'pending').sort((a, b) => (a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1));
  const now = Date.now();
  return (
    <section class="alerts" aria-labelledby="alerts-heading">
      <h2 id="alerts-heading">Alerts</h2>
      {active.length === 0 ? (
        <p class="muted" data-alerts="none">{measured ? `No alert firing or pending (${alerts.length} rules, as msx alerts evaluates them).` : 'Waiting for the first window…'}</p>
      ) : (
        <table class="grid">
          <thead><tr>{['service', 'alert', 'severity', 'state', 'value', 'fires above', 'for', 'summary'].map((h) => <th scope="col" key={h}>{h}</th>)}</tr></thead>
          <tbody>
            {active.map((a) => (
              <tr key={`${a.service}/${a.alert}`} data-alert={`${a.service}/${a.alert}`} data-state={a.state}>
                <th scope="row">{a.service}</th>
                <td>{a.alert}</td>
                <td>{a.severity}</td>
                <td><span class={`pill ${a.state === 'firing' ? 'bad' : 'warn'}`}>{a.state}</span></td>
                <td class="num">{a.value}</td>
                <td class="num">{a.threshold}</td>
                <td>{held(a, now)}</td>
                <td>{a.summary}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
