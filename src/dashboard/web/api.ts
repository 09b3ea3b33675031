/**
 * The page's side of the dashboard server: JSON requests (the token rides
 * in the HttpOnly cookie the first load set) and the one `live` event
 * stream that every page shares, kept in a tiny store the pages subscribe to.
 */
import { useEffect, useState } from 'preact/hooks';

export type { InstanceStatus } from '../../targets/target.js';
export type { TraceSummary } from '../../observability/trace-model.js';
export type { ServiceMetrics } from '../../observability/service-metrics.js';
export type { MetricsPoint } from '../server/live-feed.js';
export type { DashboardAlert } from '../server/live-alerts.js';
export type { MapEdge, MapNode } from '../server/system-map.js';
import type { InstanceStatus } from '../../targets/target.js';
import type { TraceSummary } from '../../observability/trace-model.js';
import type { MetricsPoint } from '../server/live-feed.js';
import type { DashboardAlert } from '../server/live-alerts.js';
import type { SystemMap } from '../server/system-map.js';

export interface Overview { system: string; target: string; canRestart: boolean; insight: boolean; map: SystemMap }

export class ApiError extends Error {}

export async function api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const res = await fetch(path, {
    method: init?.method ?? 'GET',
    headers: init?.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new ApiError((data as { error?: string } | undefined)?.error ?? `${res.status} ${res.statusText}`);
  return data as T;
}

interface LiveState {
  connected: boolean;
  instances: InstanceStatus[];
  traces: TraceSummary[];
  metrics: MetricsPoint[];
  /** Every alert rule's state at the last window (ok, pending, firing, unknown). */
  alerts: DashboardAlert[];
  errors: Record<string, string>;
}

const METRICS_KEPT = 150; // 5 minutes of 2-second windows

let state: LiveState = { connected: false, instances: [], traces: [], metrics: [], alerts: [], errors: {} };
const listeners = new Set<() => void>();
let source: EventSource | undefined;

function update(change: Partial<LiveState>): void {
  state = { ...state, ...change };
  listeners.forEach((l) => l());
}

function connect(): void {
  source = new EventSource('/api/stream/live');
  source.addEventListener('open', () => update({ connected: true }));
  source.addEventListener('error', () => update({ connected: false }));
  source.addEventListener('snapshot', (e) => {
    const snap = JSON.parse((e as MessageEvent).data) as Omit<LiveState, 'connected'>;
    update({ ...snap, connected: true });
  });
  source.addEventListener('instances', (e) => update({ instances: JSON.parse((e as MessageEvent).data) }));
  source.addEventListener('traces', (e) => update({ traces: JSON.parse((e as MessageEvent).data) }));
  source.addEventListener('alerts', (e) => update({ alerts: JSON.parse((e as MessageEvent).data) }));
  source.addEventListener('metrics', (e) => update({ metrics: [...state.metrics, JSON.parse((e as MessageEvent).data) as MetricsPoint].slice(-METRICS_KEPT) }));
}

/** The live state; the page re-renders when it changes. */
export function useLive(): LiveState {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    if (source === undefined) connect();
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return state;
}

/** A one-off request's result, reloaded when `deps` change. */
export function useApi<T>(path: string | undefined, deps: unknown[] = []): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let current = true;
    api<T>(path).then((d) => current && (setData(d), setError(undefined)), (e: Error) => current && setError(e.message));
    return () => {
      current = false;
    };
  }, [path, n, ...deps]);
  return { data, error, reload: () => setN((x) => x + 1) };
}
