import type { InstanceStatus } from './target.js';

/** `4s`, `12m`, `3h5m`: how long an instance has run, short enough for a table. */
export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
  return `${Math.round(bytes / 1024)} kB`;
}

/** The closing table of `up`, the same on every target. */
export const UP_COLUMNS = ['service', 'instance', 'state', 'health', 'restarts', 'url'];

/** One row per instance for `up`'s closing table. */
export function upRows(instances: readonly InstanceStatus[]): string[][] {
  return instances.map((i) => [i.service, i.id, i.state, i.ready ? 'healthy' : 'unhealthy', String(i.restarts), i.url ?? '-']);
}

/**
 * The target-specific columns of `ps` (pid and port locally, container on
 * compose): every detail key any instance has, in the order first seen.
 */
export function detailColumns(instances: readonly InstanceStatus[]): string[] {
  const keys: string[] = [];
  for (const instance of instances) for (const key of Object.keys(instance.details)) if (!keys.includes(key)) keys.push(key);
  return keys;
}
