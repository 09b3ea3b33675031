/**
 * The dashboard's shell: a navigation bar of the seven pages, the
 * connection state of the live stream, and the page the hash names.
 */
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useApi, useLive, type Overview } from './api.js';
import { EventsPage } from './pages/events-page.js';
import { InstancesPage } from './pages/instances-page.js';
import { LogsPage } from './pages/logs-page.js';
import { MapPage } from './pages/map-page.js';
import { MetricsPage } from './pages/metrics-page.js';
import { SagasPage } from './pages/sagas-page.js';
import { TracePage, TracesPage } from './pages/traces-page.js';
import { useRoute } from './router.js';
import './styles.css';

const PAGES = [
  ['map', 'Map'],
  ['instances', 'Instances'],
  ['logs', 'Logs'],
  ['traces', 'Traces'],
  ['metrics', 'Metrics'],
  ['events', 'Events'],
  ['sagas', 'Sagas'],
] as const;

function App() {
  const route = useRoute();
  const live = useLive();
  const overview = useApi<Overview>('/api/overview');
  const page = route.parts[0] ?? 'map';
  const heading = useRef<HTMLHeadingElement>(null);
  // A new page moves the keyboard focus to its heading, as a page load would.
  useEffect(() => heading.current?.focus(), [page]);
  const title = PAGES.find(([id]) => id === page)?.[1] ?? 'Not found';
  const firing = live.alerts.filter((a) => a.state === 'firing').length;
  useEffect(() => {
    document.title = `${title} · ${overview.data?.system ?? 'msx'} · msx dashboard`;
  }, [title, overview.data?.system]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>Skip to content</a>
      <header class="top">
        <span class="brand">msx · {overview.data?.system ?? '…'} <span class="muted">({overview.data?.target ?? '…'})</span></span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map(([id, label]) => (
              <li key={id}><a href={`#/${id}`} aria-current={page === id ? 'page' : undefined}>{label}{id === 'metrics' && firing > 0 && <><span class="badge" aria-hidden="true">{firing}</span><span class="sr-only">, {firing} alert{firing === 1 ? '' : 's'} firing</span></>}</a></li>
            ))}
          </ul>
        </nav>
        <span class={`conn ${live.connected ? 'ok' : 'bad'}`} role="status">{live.connected ? 'live' : 'reconnecting…'}</span>
      </header>
      <main id="main" tabIndex={-1}>
        <h1 ref={heading} tabIndex={-1}>{title}</h1>
        {overview.error && <p class="error" role="alert">{overview.error}</p>}
        {page === 'map' && <MapPage overview={overview.data} live={live} />}
        {page === 'instances' && <InstancesPage overview={overview.data} live={live} />}
        {page === 'logs' && <LogsPage route={route} overview={overview.data} />}
        {page === 'traces' && (route.parts[1] ? <TracePage id={route.parts[1]} /> : <TracesPage route={route} live={live} />)}
        {page === 'metrics' && <MetricsPage live={live} />}
        {page === 'events' && <EventsPage overview={overview.data} />}
        {page === 'sagas' && <SagasPage route={route} overview={overview.data} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
