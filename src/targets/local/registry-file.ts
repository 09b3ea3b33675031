import { renameSync, writeFileSync } from 'node:fs';
import type { LocalInstance } from './local-instance.js';

/** The registry file's shape: what runtime/src/discovery/local.ts reads. */
export interface RegistryFile {
  readonly services: Record<string, { id: string; url: string; ready: boolean }[]>;
}

/**
 * The registry content for a set of instances. Only instances that take
 * traffic are `ready`; a draining instance is left out entirely so balancers
 * drop it before it is told to stop. Every known service is listed, possibly
 * with an empty array, so a reader can tell "none ready" from "unknown".
 */
export function registryContent(services: readonly string[], instances: readonly LocalInstance[]): RegistryFile {
  const out: RegistryFile = { services: {} };
  for (const service of services) out.services[service] = [];
  for (const instance of instances) {
    if (instance.state === 'draining' || instance.state === 'stopping' || instance.state === 'stopped') continue;
    (out.services[instance.service] ??= []).push({ id: instance.id, url: instance.url, ready: instance.ready });
  }
  return out;
}

/**
 * Replaces `path` atomically (write a temporary file, then rename), so a
 * reader never sees half a file and a watcher sees one change.
 */
export function writeFileAtomically(path: string, content: string, mode = 0o644): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, path);
}

export function writeRegistry(path: string, registry: RegistryFile): void {
  writeFileAtomically(path, `${JSON.stringify(registry, null, 2)}\n`);
}
