import type Docker from 'dockerode';
import type { Manifest } from '../../manifest/schema.js';

/**
 * The image of each service for `msx up --target compose`, built as
 * `msx build` builds it (src/containers/build-images.ts: the service's
 * build argument, labels, the content tag trusted only when the image says
 * it was built from that hash), so an unchanged service is never rebuilt
 * and a stale or foreign image is never run.
 */
export async function serviceImages(root: string, manifest: Manifest, docker: Docker, onBuild: (service: string) => void): Promise<Record<string, string>> {
  const { buildImages } = await import('../../containers/build-images.js');
  const built = await buildImages(root, manifest, {
    docker,
    onStart: (service, rebuilding) => {
      if (rebuilding) onBuild(service);
    },
  });
  return Object.fromEntries(built.map((image) => [image.service, image.tag.contentTag]));
}
