/**
 * Every instance with its state, readiness, restarts, uptime, CPU, memory
 * and address, live; per service a scale control, per instance a restart.
 * Both go through the target (`msx scale`, and the target's restart).
 */
import { useState } from 'preact/hooks';
import { api, type Overview, type useLive } from '../api.js';
import { bytes, stateClass, uptime } from '../format.js';
import { href } from '../router.js';

export function InstancesPage({ overview, live }: { overview: Overview | undefined; live: ReturnType<typeof useLive> }) {
  const [busy, setBusy] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>(undefined);
  const now = Date.now();
  const services = overview?.map.nodes.map((n) => n.name) ?? [...new Set(live.instances.map((i) => i.service))];

  async function act<T>(key: string, label: string, run: () => Promise<T>, done: (result: T) => string) {
    setBusy((b) => ({ ...b, [key]: label }));
    setMessage({ text: `${label}…`, error: false });
    try {
      setMessage({ text: done(await run()), error: false });
    } catch (error) {
      setMessage({ text: (error as Error).message, error: true });
    } finally {
      setBusy((b) => {
        const { [key]: _, ...rest } = b;
        return rest;
      });
    }
  }

  return (
    <>
      <p role="status" aria-live="polite" class={message?.error ? 'error' : 'muted'}>{message?.text ?? ''}</p>
      {services.map((service) => {
        const instances = live.instances.filter((i) => i.service === service);
        return (
          <section key={service} class="service" aria-labelledby={`svc-${service}`}>
            <div class="service-head">
              <h2 id={`svc-${service}`}>{service}</h2>
              <ScaleControl service={service} current={instances.length} busy={busy[`scale:${service}`] !== undefined}
                onScale={(count) => act(`scale:${service}`, `scaling ${service} to ${count}`, () => api(`/api/services/${encodeURIComponent(service)}/scale`, { method: 'POST', body: { count } }), () => `${service} scaled to ${count}`)} />
              <a href={href('logs', { service })}>logs</a>
            </div>
            <table class="grid">
              <thead>
                <tr><th scope="col">instance</th><th scope="col">state</th><th scope="col">ready</th><th scope="col">restarts</th><th scope="col">uptime</th><th scope="col">CPU</th><th scope="col">memory</th><th scope="col">URL</th><th scope="col">details</th><th scope="col"><span class="sr-only">actions</span></th></tr>
              </thead>
              <tbody>
                {instances.map((i) => (
                  <tr key={i.id} data-instance={i.id}>
                    <th scope="row">{i.id}</th>
                    <td><span class={`pill ${stateClass(i.state)}`}>{i.state}</span></td>
                    <td>{i.ready ? 'yes' : 'no'}</td>
                    <td class="num" data-restarts={i.restarts}>{i.restarts}</td>
                    <td class="num">{uptime(i.startedAt, now)}</td>
                    <td class="num">{i.cpuPercent === undefined ? '–' : `${i.cpuPercent.toFixed(1)}%`}</td>
                    <td class="num">{bytes(i.memoryBytes)}</td>
                    <td>{i.url ?? '–'}</td>
                    <td class="details">{Object.entries(i.details).map(([k, v]) => `${k} ${v}`).join(' · ')}</td>
                    <td>
                      {overview?.canRestart !== false && (
                        <button type="button" disabled={busy[i.id] !== undefined} aria-label={`Restart ${i.id}`}
                          onClick={() => act(i.id, `restarting ${i.id}`, () => api<RestartAnswer>(`/api/instances/${encodeURIComponent(i.id)}/restart`, { method: 'POST' }), restartedMessage)}>
                          {busy[i.id] ? 'Restarting…' : 'Restart'}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
                {instances.length === 0 && <tr><td colSpan={10} class="muted">no instances running</td></tr>}
              </tbody>
            </table>
          </section>
        );
      })}
    </>
  );
}

/** What the dashboard's restart answers: a pod (Kubernetes) is replaced by one under a new name; a process or container keeps its own. */
interface RestartAnswer {
  restarted: string;
  replacement?: string;
}

const restartedMessage = (answer: RestartAnswer): string =>
  answer.replacement === undefined ? `${answer.restarted} restarted` : `${answer.restarted} restarted: replaced by ${answer.replacement}`;

function ScaleControl({ service, current, busy, onScale }: { service: string; current: number; busy: boolean; onScale: (count: number) => void }) {
  const [count, setCount] = useState<string>('');
  const id = `scale-${service}`;
  return (
    <form class="scale" onSubmit={(e) => {
      e.preventDefault();
      const n = Number(count === '' ? current : count);
      if (Number.isInteger(n) && n >= 0) onScale(n);
    }}>
      <label for={id}>instances</label>
      <input id={id} type="number" min="0" max="64" value={count === '' ? String(current) : count} onInput={(e) => setCount((e.target as HTMLInputElement).value)} />
      <button type="submit" disabled={busy}>{busy ? 'Scaling…' : 'Scale'}</button>
    </form>
  );
}
