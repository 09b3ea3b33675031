/**
 * STAND-IN for issue 10's `src/containers/image-tags.ts` (`imageTags()`),
 * replaced when it lands: a content hash of each service's sources, so
 * unchanged code gives an unchanged tag and a deploy of it changes nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Manifest } from '../../manifest/schema.js';

const SKIPPED = new Set(['node_modules', 'dist', '.msx']);

export function imageTags(root: string, manifest: Manifest): Record<string, string> {
  const registry = manifest.infrastructure.kubernetes.registry;
  const tags: Record<string, string> = {};
  for (const service of Object.keys(manifest.services)) {
    const dir = join(root, 'services', service);
    const hash = createHash('sha256');
    if (existsSync(dir)) for (const file of filesUnder(dir)) hash.update(relative(dir, file)).update('\0').update(readFileSync(file)).update('\0');
    tags[service] = `${registry ? `${registry}/` : ''}${manifest.name}-${service}:${hash.digest('hex').slice(0, 12)}`;
  }
  return tags;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    if (SKIPPED.has(name)) return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
