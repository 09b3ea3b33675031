/**
 * Reading `/metrics` of running instances: which instances (from the local
 * supervisor's state, else the discovery registry it writes), and two
 * scrapes a window apart. The network half of `msx metrics`; the
 * arithmetic is in service-metrics.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { localPaths } from '../targets/local/local-paths.js';
import { readState } from '../targets/local/state-store.js';
import { parsePrometheusText, type Exposition } from './prometheus-text.js';
import type { InstanceWindow } from './service-metrics.js';

export interface ScrapeTarget {
  readonly service: string;
  readonly instance: string;
  readonly url: string;
}

const SCRAPED_STATES: ReadonlySet<string> = new Set(['ready', 'unready', 'draining', 'starting']);

/**
 * The instances of the system in `root`: `.msx/state.json` (written by the
 * supervisor) when present, else `.msx/registry.json` (`{ services: { name:
 * [{ id, url, ready }] } }`, the local discovery file). Empty when neither
 * lists anything.
 */
export function scrapeTargets(root: string): ScrapeTarget[] {
  const paths = localPaths(root);
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

/** One scrape; undefined when the instance does not answer (in time) or answers nonsense. */
export async function scrape(url: string, timeoutMs = 2000): Promise<Exposition | undefined> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    return parsePrometheusText(await response.text());
  } catch {
    return undefined;
  }
}

export interface Scrapes {
  readonly at: number;
  readonly results: ReadonlyMap<string, Exposition | undefined>;
}

export async function scrapeAll(targets: readonly ScrapeTarget[]): Promise<Scrapes> {
  const at = performance.now();
  const results = await Promise.all(targets.map(async (t) => [t.instance, await scrape(t.url)] as const));
  return { at, results: new Map(results) };
}

/** Pairs two rounds of scrapes into the windows `serviceMetrics` takes. */
export function windowsOf(targets: readonly ScrapeTarget[], before: Scrapes, after: Scrapes): InstanceWindow[] {
  const seconds = (after.at - before.at) / 1000;
  return targets.map((t) => ({ service: t.service, instance: t.instance, before: before.results.get(t.instance), after: after.results.get(t.instance), seconds }));
}
