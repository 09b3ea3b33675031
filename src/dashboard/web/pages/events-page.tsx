/**
 * The event flow: each event type with its publishers, consumer groups and
 * their lag, the most recent events; and each group's dead letters, with
 * the envelope and last error, and a re-drive that sends them back to the
 * group's queue once the handler is fixed.
 */
import { useState } from 'preact/hooks';
import { api, type Overview } from '../api.js';
import { useInsight } from '../insight.js';
import { href } from '../router.js';

export function EventsPage({ overview }: { overview: Overview | undefined }) {
  const insight = useInsight(overview?.insight === true);
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>(undefined);
  if (overview && !overview.insight) return <p class="muted">Events and dead letters are not available in this msx build.</p>;
  const redrive = async (group: string, id: string) => {
    setMessage({ text: `re-driving ${id === 'all' ? `every dead letter of ${group}` : id}…`, error: false });
    try {
      const { redriven } = await api<{ redriven: number }>(`/api/dead-letters/${encodeURIComponent(group)}/${encodeURIComponent(id)}/redrive`, { method: 'POST' });
      setMessage({ text: `${redriven} event${redriven === 1 ? '' : 's'} sent back to ${group}`, error: false });
    } catch (error) {
      setMessage({ text: (error as Error).message, error: true });
    }
  };
  const groups = [...new Set((insight.deadLetters ?? []).map((d) => d.group))].sort();
  const deadOf = (group: string, type: string) => (insight.deadLetters ?? []).filter((d) => d.group === group && d.type === type).length;
  return (
    <>
      <p role="status" aria-live="polite" class={message?.error ? 'error' : 'muted'}>{message?.text ?? ''}</p>
      {Object.entries(insight.failures).map(([what, text]) => <p key={what} class="error" role="alert">{what}: {text}</p>)}
      <h2>Event types</h2>
      <table class="grid">
        <thead><tr><th scope="col">type</th><th scope="col">published by</th><th scope="col">consumer groups (queue lag, dead letters of this type)</th><th scope="col">recent</th></tr></thead>
        <tbody>
          {(insight.events ?? []).map((e) => (
            <tr key={e.type} data-event-type={e.type}>
              <th scope="row">{e.type}</th>
              <td>{e.publishers.join(', ') || '–'}</td>
              <td>{e.consumers.map((c) => {
                // Lag is the group's queue, shared by every type it consumes; dead letters are counted for this type.
                const dead = deadOf(c.group, e.type);
                return <span key={c.group} class="group">{c.group} <span class={c.lag > 0 ? 'warn-text' : 'muted'}>lag {c.lag}</span>{dead > 0 && <span class="bad-text"> · {dead} dead</span>}</span>;
              })}</td>
              <td>{e.recent.length === 0 ? '–' : <>{e.recent.length} · last {e.recent[0]!.at.slice(11, 23)}{e.recent[0]!.traceId && <> · <a href={href(`traces/${e.recent[0]!.traceId}`)}>trace</a></>}</>}</td>
            </tr>
          ))}
          {insight.events === undefined && <tr><td colSpan={4} class="muted">reading…</td></tr>}
        </tbody>
      </table>
      <h2>Dead letters</h2>
      {insight.deadLetters !== undefined && insight.deadLetters.length === 0 && <p class="muted">No dead letters: every event was handled.</p>}
      {groups.map((group) => {
        const letters = insight.deadLetters!.filter((d) => d.group === group);
        return (
          <section key={group} class="dead-group" aria-labelledby={`dl-${group}`} data-group={group}>
            <div class="service-head">
              <h3 id={`dl-${group}`}>{group} <span class="muted">({letters.length})</span></h3>
              <button type="button" onClick={() => redrive(group, 'all')}>Re-drive all of {group}</button>
            </div>
            <ul class="dead-letters">
              {letters.map((d) => (
                <li key={d.id} data-dead-letter={d.id}>
                  <details>
                    <summary><strong>{d.type}</strong> <code>{d.id}</code> · {d.attempts} attempts · failed {d.failedAt.slice(11, 23)} · <span class="bad-text">{d.lastError}</span></summary>
                    <pre>{JSON.stringify(d.envelope, null, 2)}</pre>
                  </details>
                  <button type="button" onClick={() => redrive(group, d.id)} aria-label={`Re-drive ${d.type} ${d.id}`}>Re-drive</button>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </>
  );
}
