import { existsSync, readFileSync } from 'node:fs';
import type { MetricsEndpoint, MetricsSource } from '../target.js';
import type { LocalPaths } from './local-paths.js';
import { readState } from './state-store.js';

/** A local instance serves /metrics on its own port of this machine. */
interface LocalEndpoint extends MetricsEndpoint {
  readonly url: string;
}

const SCRAPED_STATES: ReadonlySet<string> = new Set(['ready', 'unready', 'draining', 'starting']);

/**
 * Where `msx metrics` reads locally: every instance's `/metrics` on
 * 127.0.0.1. The instances come from `.msx/state.json` (written by the
 * supervisor) when present, else `.msx/registry.json` (`{ services: { name:
 * [{ id, url, ready }] } }`, the local discovery file).
 */
export function localMetrics(paths: LocalPaths): MetricsSource {
  return {
    endpoints: async () => localEndpoints(paths),
    scrape: async (endpoint, timeoutMs) => fetchMetrics((endpoint as LocalEndpoint).url, timeoutMs),
  };
}

export function localEndpoints(paths: LocalPaths): LocalEndpoint[] {
  const state = readState(paths);
  if (state !== undefined && Array.isArray(state.instances) && state.instances.length > 0) {
    return state.instances.filter((i) => SCRAPED_STATES.has(i.state)).map((i) => ({ service: i.service, instance: i.id, url: i.url }));
  }
  if (!existsSync(paths.registryFile)) return [];
  try {
    const registry = JSON.parse(readFileSync(paths.registryFile, 'utf8')) as { services?: Record<string, { id: string; url: string }[]> };
    return Object.entries(registry.services ?? {}).flatMap(([service, instances]) =>
      (instances ?? []).map((i) => ({ service, instance: i.id, url: i.url })),
    );
  } catch {
    return [];
  }
}

/** GET <url>/metrics; undefined when it does not answer 200 in time. */
export async function fetchMetrics(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    return await response.text();
  } catch {
    return undefined;
  }
}
