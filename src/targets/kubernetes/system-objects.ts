import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../manifest/schema.js';
import { parseEnvFile } from '../../scaffold/secrets.js';
import { imageTags } from './image-tags-stand-in.js';
import { inApplyOrder, type KubeObject } from './kube-object.js';
import { kubernetesObjects, secretObjects } from './render-stand-in.js';

/**
 * What `msx deploy` applies, from msx.yaml as it is now: the rendered
 * objects with the images' content-hash tags, plus the Secrets made from
 * `.env` (which `msx render` never writes to disk), in apply order.
 */
export function systemObjects(root: string, manifest: Manifest, namespace: string): KubeObject[] {
  const envFile = join(root, '.env');
  const dotEnv = existsSync(envFile) ? parseEnvFile(readFileSync(envFile, 'utf8')) : {};
  const images = imageTags(root, manifest);
  return inApplyOrder([...kubernetesObjects({ manifest, images, namespace }), ...secretObjects(manifest, namespace, dotEnv)]);
}
