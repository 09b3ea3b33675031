import type { Manifest } from '../manifest/schema.js';
import { localTarget } from './local/local-target.js';
import type { Target } from './target.js';

/**
 * The one place a target name becomes a Target. Only `local` exists so far;
 * compose and kubernetes arrive as folders beside `local/`.
 */
export function resolveTarget(root: string, manifest: Manifest, name: 'local' = 'local'): Target {
  switch (name) {
    case 'local':
      return localTarget(root, manifest);
  }
}
