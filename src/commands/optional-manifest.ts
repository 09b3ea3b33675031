import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest, MANIFEST_FILE } from '../manifest/load-manifest.js';
import type { Manifest } from '../manifest/schema.js';

/**
 * msx.yaml when the folder has one (an invalid one is an error, as
 * everywhere), else undefined: the observing commands also work on running
 * instances a registry file names, without a system folder.
 */
export function manifestIfAny(root: string): Manifest | undefined {
  return existsSync(join(root, MANIFEST_FILE)) ? loadManifest(root).manifest : undefined;
}
