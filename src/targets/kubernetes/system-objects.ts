import { CliError } from '../../errors/cli-error.js';
import type { Manifest } from '../../manifest/schema.js';
import { ensureSystemSecrets } from '../../secrets/system-secrets.js';
import { inApplyOrder, type KubeObject } from './kube-object.js';

/**
 * What `msx deploy` applies, from msx.yaml as it is now: the rendered
 * objects with the images' content-hash tags, plus the Secret made from
 * `.env` (which `msx render` never writes to disk), validated as `msx
 * render` validates them, in apply order. The renderer is loaded here, on
 * demand: it pulls in the schema validators.
 */
export async function systemObjects(root: string, manifest: Manifest, namespace: string): Promise<KubeObject[]> {
  const render = await import('./render/render-objects.js');
  const { validateObjects } = await import('./render/validate-objects.js');
  const { serviceImages } = await import('./render/service-images.js');
  // .env, or the environment's .env.<name>: generated when missing, as msx up does; never written into the cluster's files.
  const secrets = ensureSystemSecrets(root, manifest);
  const dotEnv = secrets.values;
  const images = await serviceImages(root, manifest);
  let objects;
  try {
    objects = [...render.kubernetesObjects({ manifest, images, namespace }), ...render.secretObjects(manifest, namespace, dotEnv)];
  } catch (error) {
    if (error instanceof render.MissingSecretKeysError) throw new CliError(error.message, { exitCode: 2, hint: `add ${error.keys.join(', ')} to ${secrets.file ?? 'msx\'s environment'} (a random value each), then deploy again` });
    throw error;
  }
  const issues = validateObjects(objects);
  if (issues.length > 0) {
    throw new CliError(`${issues.length} rendered object${issues.length === 1 ? ' is' : 's are'} invalid; nothing was applied`, {
      exitCode: 1,
      details: issues.map((issue) => `${issue.object} ${issue.path}: ${issue.problem}`),
      hint: 'a value from msx.yaml (infrastructure.kubernetes, resources, env) may be wrong; msx render kubernetes shows the objects',
    });
  }
  return inApplyOrder(objects as unknown as KubeObject[]);
}
