import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCKERFILE_FILE, serviceDockerfile } from '../containers/dockerfile.js';
import { manifestJsonSchema } from '../manifest/json-schema.js';
import { SCHEMA_FILE } from '../manifest/manifest-text.js';
import type { Manifest } from '../manifest/schema.js';
import { replaceFilesTogether } from './file-transaction.js';
import { EVENTS_MODULE_FILE, eventsModule } from './events-module.js';
import { gatewayConfigModule } from './gateway-config.js';
import { stampOwnedContent } from './owned-stamp.js';

/** The gateway's msx-owned module, relative to its service folder. */
export const GATEWAY_CONFIG_FILE = 'src/gateway.generated.ts';

/** A file msx derives from msx.yaml and owns: users change msx.yaml, never this file. */
export interface OwnedFile {
  /** Relative to the system folder. */
  readonly path: string;
  readonly content: string;
  /** What it is, for messages and `msx generate --json`. */
  readonly role: string;
  /** Why it would differ from what is on disk, for the message that says it was rewritten. */
  readonly source: 'msx.yaml' | 'msx';
}

export interface OwnedFileChange extends OwnedFile {
  readonly change: 'created' | 'updated';
}

/**
 * Every file msx owns in a system, with the content msx.yaml gives it now.
 * A service's modules are listed only when its folder exists (a system may
 * run a service it does not build from here).
 */
export function ownedFiles(root: string, manifest: Manifest): OwnedFile[] {
  const files: OwnedFile[] = [...systemOwnedFiles()];
  for (const name of Object.keys(manifest.services)) {
    if (existsSync(join(root, 'services', name))) files.push(...serviceOwnedFiles(manifest, name));
  }
  // A file listed under `keep:` in msx.yaml is the user's now: msx neither writes nor checks it.
  const kept = new Set(manifest.keep);
  return files.filter((file) => !kept.has(file.path));
}

/** The files msx owns at the system's root: the JSON Schema of msx.yaml and the Dockerfile msx build uses. */
export function systemOwnedFiles(): OwnedFile[] {
  return [
    { path: SCHEMA_FILE, content: `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`, role: 'JSON Schema of msx.yaml', source: 'msx' },
    { path: DOCKERFILE_FILE, content: stampOwnedContent(DOCKERFILE_FILE, serviceDockerfile()), role: 'Dockerfile msx build builds every service with', source: 'msx' },
  ];
}

/**
 * The files msx owns in services/<name>/: the gateway's routes and auth; a
 * service's event types and their wiring (when it publishes or subscribes).
 * Everything else a service template renders is the user's.
 */
export function serviceOwnedFiles(manifest: Manifest, name: string): OwnedFile[] {
  const dir = `services/${name}`;
  const owned = (path: string, content: string, role: string): OwnedFile => ({ path, content: stampOwnedContent(path, content), role, source: 'msx.yaml' });
  if (manifest.services[name]!.kind === 'gateway') {
    return [owned(`${dir}/${GATEWAY_CONFIG_FILE}`, gatewayConfigModule(manifest), 'gateway routes, auth, rate limits and CORS')];
  }
  const events = eventsModule(manifest, name);
  return events === undefined ? [] : [owned(`${dir}/${EVENTS_MODULE_FILE}`, events, `event types and wiring of ${name}`)];
}

/** The owned files whose content on disk differs from what msx.yaml gives them (or that are missing). */
export function staleOwnedFiles(root: string, manifest: Manifest, derived: readonly OwnedFile[] = []): OwnedFileChange[] {
  return [...ownedFiles(root, manifest), ...derived].flatMap((file): OwnedFileChange[] => {
    const path = join(root, file.path);
    if (!existsSync(path)) return [{ ...file, change: 'created' }];
    return readFileSync(path, 'utf8') === file.content ? [] : [{ ...file, change: 'updated' }];
  });
}

/**
 * Rewrites every stale owned file (all or none) and returns what changed.
 * `derived` are owned files computed from more than msx.yaml (the typed
 * clients, from the callees' contracts: see contracts/typed-client-files.ts).
 */
export function regenerateOwnedFiles(root: string, manifest: Manifest, derived: readonly OwnedFile[] = []): OwnedFileChange[] {
  const stale = staleOwnedFiles(root, manifest, derived);
  if (stale.length > 0) replaceFilesTogether(root, stale);
  return stale;
}

/** One line saying what was rewritten and why: `msx.yaml changed: regenerated services/gateway/src/gateway.generated.ts`. */
export function describeChange(file: OwnedFileChange): string {
  if (file.change === 'created') return `created ${file.path} (${file.role}), which was missing`;
  return file.source === 'msx.yaml' ? `msx.yaml changed: regenerated ${file.path}` : `regenerated ${file.path} (${file.role} of this msx version)`;
}
