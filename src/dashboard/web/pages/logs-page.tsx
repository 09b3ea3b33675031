/**
 * Live logs of all services or some, filtered on the server by level, text
 * and trace id (the same filter as `msx logs`), in a virtualised list. A
 * new filter opens a new stream; lines arrive in batches and the list
 * re-renders at most once per frame, which is how it keeps up with
 * thousands of lines a second.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Overview } from '../api.js';
import { LEVEL_NAMES, time } from '../format.js';
import { href, replaceParams, type Route } from '../router.js';
import { VirtualList } from '../virtual-list.js';

interface Line { t: number; l: number; s: string; i: string; m: string; f?: string; tr?: string }

const KEPT = 50_000;
const ROW = 22;

export function LogsPage({ route, overview }: { route: Route; overview: Overview | undefined }) {
  const [filters, setFilters] = useState(() => ({
    service: route.params.get('service') ?? '',
    level: route.params.get('level') ?? '',
    q: route.params.get('q') ?? '',
    trace: route.params.get('trace') ?? '',
  }));
  // The text fields apply once typing pauses.
  const [applied, setApplied] = useState(filters);
  useEffect(() => {
    const timer = setTimeout(() => setApplied(filters), 250);
    return () => clearTimeout(timer);
  }, [filters.q, filters.trace]);
  useEffect(() => setApplied(filters), [filters.service, filters.level]);
  // A link to another trace's logs while on this page.
  useEffect(() => {
    const next = { service: route.params.get('service') ?? '', level: route.params.get('level') ?? '', q: route.params.get('q') ?? '', trace: route.params.get('trace') ?? '' };
    if (JSON.stringify(next) !== JSON.stringify(filters)) (setFilters(next), setApplied(next));
  }, [route.params.toString()]);

  const lines = useRef<Line[]>([]);
  const [version, setVersion] = useState(0);
  const [status, setStatus] = useState('connecting…');
  useEffect(() => {
    replaceParams('logs', applied);
    lines.current = [];
    setVersion((v) => v + 1);
    const query = new URLSearchParams(Object.entries(applied).filter(([, v]) => v !== '')).toString();
    const source = new EventSource(`/api/stream/logs${query ? `?${query}` : ''}`);
    let frame = 0;
    source.addEventListener('open', () => setStatus('live'));
    source.addEventListener('error', () => setStatus('reconnecting…'));
    source.addEventListener('failure', (e) => setStatus(JSON.parse((e as MessageEvent).data).message));
    source.addEventListener('logs', (e) => {
      const batch = JSON.parse((e as MessageEvent).data) as Line[];
      const all = lines.current;
      for (const line of batch) all.push(line);
      if (all.length > KEPT) all.splice(0, all.length - KEPT);
      if (frame === 0) frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion((v) => v + 1);
      });
    });
    return () => {
      source.close();
      cancelAnimationFrame(frame);
    };
  }, [applied.service, applied.level, applied.q, applied.trace]);

  const services = overview?.map.nodes.map((n) => n.name) ?? [];
  const set = (key: keyof typeof filters) => (e: Event) => setFilters((f) => ({ ...f, [key]: (e.target as HTMLInputElement).value }));
  return (
    <>
      <form class="filters" role="search" aria-label="Log filters" onSubmit={(e) => (e.preventDefault(), setApplied(filters))}>
        <label>service
          <select value={filters.service} onChange={set('service')}>
            <option value="">all</option>
            {services.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>lowest level
          <select value={filters.level} onChange={set('level')}>
            <option value="">all</option>
            {['debug', 'info', 'warn', 'error', 'fatal'].map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        </label>
        <label>text <input type="search" value={filters.q} onInput={set('q')} placeholder="contains…" /></label>
        <label>trace id <input type="search" value={filters.trace} onInput={set('trace')} placeholder="32 hex digits" size={34} /></label>
        <span class="muted" role="status" data-lines={lines.current.length}>{status} · {lines.current.length.toLocaleString()} lines</span>
      </form>
      <VirtualList items={lines.current} version={version} rowHeight={ROW} label="Log lines" row={(line) => (
        <>
          <span class="t">{time(line.t)}</span>
          <span class={`lvl l${line.l}`}>{LEVEL_NAMES[line.l] ?? line.l}</span>
          <span class="inst">{line.i}</span>
          <span class="msg">{line.m}</span>
          {line.f && <span class="fields">{line.f}</span>}
          {line.tr && <a class="trace-link" href={href(`traces/${line.tr}`)} title={`trace ${line.tr}`}>trace {line.tr.slice(0, 8)}</a>}
        </>
      )} />
    </>
  );
}
