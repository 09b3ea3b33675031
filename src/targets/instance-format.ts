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

/** One row per instance for `up`'s closing table. */
export function upRows(instances: readonly InstanceStatus[]): string[][] {
  return instances.map((i) => [i.service, i.id, String(i.port), i.url, i.state]);
}
