import type { Manifest } from '../manifest/schema.js';

/** The official image services are built on when msx.yaml names none. */
export const DEFAULT_NODE_IMAGE = 'node:20-bookworm-slim';

/**
 * The image every service image is built `FROM`: msx.yaml's
 * `infrastructure.compose.images.node`, else the official Node 20 slim image.
 * Read at every build, so what msx.yaml says now is what is built on.
 */
export function nodeBaseImage(manifest: Manifest): string {
  const images = manifest.infrastructure.compose.images as Readonly<Record<string, string | undefined>> | undefined;
  return images?.node ?? DEFAULT_NODE_IMAGE;
}
