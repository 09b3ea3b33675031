/**
 * The sagas of each orchestrating service — running, compensating, stuck
 * and finished — with their steps, timings and errors, from the saga log.
 */
import { useState } from 'preact/hooks';
import type { Overview } from '../api.js';
import { duration } from '../format.js';
import { useInsight, type SagaRecord } from '../insight.js';
import { replaceParams, type Route } from '../router.js';

const STATES = ['running', 'compensating', 'stuck', 'completed', 'compensated', 'failed'];

function stateTone(state: string): string {
  if (state === 'completed') return 'ok';
  if (state === 'running') return 'warn';
  if (state === 'compensated') return 'muted';
  return 'bad';
}

const span = (a?: string, b?: string) => (a && b ? duration(Date.parse(b) - Date.parse(a)) : '–');

export function SagasPage({ route, overview }: { route: Route; overview: Overview | undefined }) {
  const insight = useInsight(overview?.insight === true);
  const [state, setState] = useState(route.params.get('state') ?? '');
  const [service, setService] = useState(route.params.get('service') ?? '');
  if (overview && !overview.insight) return <p class="muted">Sagas are not available in this msx build.</p>;
  const sagas: SagaRecord[] = insight.sagas ?? [];
  const services = [...new Set(sagas.map((s) => s.service))].sort();
  const shown = sagas.filter((s) => (!state || s.state === state) && (!service || s.service === service));
  const counts = STATES.map((st) => [st, sagas.filter((s) => s.state === st).length] as const);
  return (
    <>
      {Object.entries(insight.failures).map(([what, text]) => <p key={what} class="error" role="alert">{what}: {text}</p>)}
      <form class="filters" role="search" aria-label="Saga filters" onSubmit={(e) => e.preventDefault()}>
        <label>service
          <select value={service} onChange={(e) => { const v = (e.target as HTMLSelectElement).value; setService(v); replaceParams('sagas', { state, service: v }); }}>
            <option value="">all</option>
            {services.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>state
          <select value={state} onChange={(e) => { const v = (e.target as HTMLSelectElement).value; setState(v); replaceParams('sagas', { state: v, service }); }}>
            <option value="">all</option>
            {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <span class="muted" role="status">{counts.filter(([, n]) => n > 0).map(([st, n]) => `${n} ${st}`).join(' · ') || (insight.sagas ? 'no sagas yet' : 'reading…')}</span>
      </form>
      <ul class="sagas">
        {shown.map((s) => (
          <li key={s.id} data-saga={s.id} data-state={s.state}>
            <details>
              <summary>
                <span class={`pill ${stateTone(s.state)}`}>{s.state}</span> <strong>{s.service}</strong> {s.saga} <code>{s.id}</code> · started {s.startedAt.slice(11, 23)} · {span(s.startedAt, s.updatedAt)}
                {s.error && <span class="bad-text"> · {s.error}</span>}
              </summary>
              <table class="grid">
                <thead><tr><th scope="col">step</th><th scope="col">state</th><th scope="col">started</th><th scope="col">took</th><th scope="col">error</th></tr></thead>
                <tbody>
                  {s.steps.map((step, i) => (
                    <tr key={i} data-step={step.name}>
                      <th scope="row">{step.name}</th>
                      <td><span class={`pill ${stateTone(step.state)}`}>{step.state}</span></td>
                      <td class="num">{step.startedAt?.slice(11, 23) ?? '–'}</td>
                      <td class="num">{span(step.startedAt, step.endedAt)}</td>
                      <td class="bad-text">{step.error ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </li>
        ))}
      </ul>
    </>
  );
}
