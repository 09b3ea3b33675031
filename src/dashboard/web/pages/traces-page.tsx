/**
 * Recent traces (live, from the same collector `msx trace` reads), filtered
 * by service, status and minimum duration; and one trace as a waterfall
 * (the layout of `msx trace <id>`), each span's attributes and events one
 * click away, and the trace's logs one more.
 */
import { useState } from 'preact/hooks';
import { useApi, type TraceSummary, type useLive } from '../api.js';
import { duration } from '../format.js';
import { href, replaceParams, type Route } from '../router.js';

const failed = (t: TraceSummary) => t.errors > 0 || /^5/.test(t.status) || t.status === 'error';

export function TracesPage({ route, live }: { route: Route; live: ReturnType<typeof useLive> }) {
  const [service, setService] = useState(route.params.get('service') ?? '');
  const [status, setStatus] = useState(route.params.get('status') ?? '');
  const [minMs, setMinMs] = useState(route.params.get('min') ?? '');
  const apply = (next: { service?: string; status?: string; min?: string }) => replaceParams('traces', { service, status, min: minMs, ...next });
  const services = [...new Set(live.traces.flatMap((t) => t.services))].sort();
  const min = Number(minMs) || 0;
  const shown = live.traces.filter((t) => (!service || t.services.includes(service)) && (!status || (status === 'error' ? failed(t) : !failed(t))) && t.durationMs >= min);
  return (
    <>
      <form class="filters" role="search" aria-label="Trace filters" onSubmit={(e) => e.preventDefault()}>
        <label>service
          <select value={service} onChange={(e) => { const v = (e.target as HTMLSelectElement).value; setService(v); apply({ service: v }); }}>
            <option value="">all</option>
            {services.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>status
          <select value={status} onChange={(e) => { const v = (e.target as HTMLSelectElement).value; setStatus(v); apply({ status: v }); }}>
            <option value="">all</option><option value="ok">ok</option><option value="error">error</option>
          </select>
        </label>
        <label>at least (ms) <input type="number" min="0" value={minMs} onInput={(e) => { const v = (e.target as HTMLInputElement).value; setMinMs(v); apply({ min: v }); }} /></label>
        <span class="muted" role="status">{shown.length} of {live.traces.length} traces</span>
      </form>
      <table class="grid">
        <thead><tr><th scope="col">started</th><th scope="col">root</th><th scope="col">status</th><th scope="col">duration</th><th scope="col">spans</th><th scope="col">services</th><th scope="col"><span class="sr-only">logs</span></th></tr></thead>
        <tbody>
          {shown.map((t) => (
            <tr key={t.traceId} data-trace={t.traceId}>
              <td class="num">{t.startedAt.slice(11, 23)}</td>
              <td><a href={href(`traces/${t.traceId}`)}>{t.rootService} {t.root}</a></td>
              <td><span class={`pill ${failed(t) ? 'bad' : 'ok'}`}>{t.status}</span></td>
              <td class="num">{duration(t.durationMs)}</td>
              <td class="num">{t.spans}{t.errors > 0 ? ` (${t.errors} errors)` : ''}</td>
              <td>{t.services.join(', ')}</td>
              <td><a href={href('logs', { trace: t.traceId })} aria-label={`logs of trace ${t.traceId}`}>logs</a></td>
            </tr>
          ))}
          {shown.length === 0 && <tr><td colSpan={7} class="muted">no traces yet: send the system a request</td></tr>}
        </tbody>
      </table>
    </>
  );
}

interface SpanRow {
  spanId: string;
  name: string;
  service: string;
  instance?: string;
  kind: string;
  status: string;
  statusMessage?: string;
  attributes: Record<string, unknown>;
  events?: { name: string; time: number; attributes: Record<string, unknown> }[];
  start: number;
  depth: number;
  offsetMs: number;
  durationMs: number;
  error: boolean;
}

export function TracePage({ id }: { id: string }) {
  const { data, error } = useApi<TraceSummary & { spans: SpanRow[] }>(`/api/traces/${encodeURIComponent(id)}`, [id]);
  if (error) return <p class="error" role="alert">{error} <a href={href('traces')}>all traces</a></p>;
  if (!data) return <p>Loading…</p>;
  const total = Math.max(data.durationMs, 0.001);
  return (
    <>
      <p class="summary">
        <strong>{data.rootService} {data.root}</strong> · <span class={`pill ${data.errors > 0 ? 'bad' : 'ok'}`}>{data.status}</span> · {duration(data.durationMs)} · {data.spans.length} spans · {data.services.length} services ({data.services.join(', ')}) · <code>{data.traceId}</code>
      </p>
      <p><a href={href('logs', { trace: data.traceId })} class="button-link">Logs of this trace</a> <a href={href('traces')}>all traces</a></p>
      <ol class="waterfall" aria-label="Spans">
        {data.spans.map((s) => (
          <li key={s.spanId} data-service={s.service}>
            <details>
              <summary>
                <span class="span-name" style={{ paddingLeft: `${s.depth * 14}px` }}><span class="svc">{s.service}</span> {s.name}</span>
                <span class="bar-track" aria-hidden="true">
                  <span class={`bar ${s.error ? 'bad' : ''}`} style={{ left: `${(s.offsetMs / total) * 100}%`, width: `${Math.max(0.4, (s.durationMs / total) * 100)}%` }} />
                </span>
                <span class="num">{duration(s.durationMs)}</span>
              </summary>
              <dl class="attrs">
                <dt>kind</dt><dd>{s.kind}</dd>
                <dt>status</dt><dd>{s.status}{s.statusMessage ? `: ${s.statusMessage}` : ''}</dd>
                {s.instance && (<><dt>instance</dt><dd>{s.instance}</dd></>)}
                <dt>starts at</dt><dd>+{duration(s.offsetMs)}</dd>
                {Object.entries(s.attributes).map(([k, v]) => (<><dt>{k}</dt><dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd></>))}
              </dl>
              {s.events && s.events.length > 0 && (
                <ul class="span-events">
                  {s.events.map((e, i) => <li key={i}>+{duration(e.time - s.start)} <strong>{e.name}</strong> {Object.keys(e.attributes).length > 0 ? JSON.stringify(e.attributes) : ''}</li>)}
                </ul>
              )}
            </details>
          </li>
        ))}
      </ol>
    </>
  );
}
