import { CliError } from '../../../errors/cli-error.js';
import type { Manifest } from '../../../manifest/schema.js';
import { imageTags } from '../../../containers/image-tags.js';

/**
 * The image each service runs: the content-hash tag `msx build` gives it
 * (computed from the build inputs without building), under
 * `infrastructure.kubernetes.registry` when one is set, so what render
 * writes, what deploy applies and what build pushes are the same image.
 */
export async function serviceImages(root: string, manifest: Manifest): Promise<Record<string, string>> {
  const tags = await imageTags(root, manifest);
  const registry = manifest.infrastructure.kubernetes.registry?.replace(/\/+$/, '');
  const images: Record<string, string> = {};
  const missing: string[] = [];
  for (const service of Object.keys(manifest.services)) {
    const tag = tags[service];
    if (!tag) missing.push(service);
    else images[service] = registry ? `${registry}/${tag.contentTag}` : tag.contentTag;
  }
  if (missing.length > 0) {
    throw new CliError(`no code for ${missing.map((s) => `services/${s}`).join(', ')}, so ${missing.length === 1 ? 'its image has' : 'their images have'} no tag`, {
      exitCode: 2,
      hint: 'restore the folder, or remove the service from msx.yaml',
    });
  }
  return images;
}
