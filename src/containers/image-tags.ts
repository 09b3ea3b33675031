import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Manifest } from '../manifest/schema.js';
import { nodeBaseImage } from './base-image.js';
import { buildContext, contextHash, type BuildContext } from './build-context.js';
import { SERVICE_DOCKERFILE } from './dockerfile.js';
import { imageIdInEngine } from './docker-engine.js';

/** The names one service's image goes by. */
export interface ImageTag {
  readonly service: string;
  /** SHA-256 of the build inputs, hex. */
  readonly hash: string;
  /** `<system>/<service>:h-<12 hex>`: changes exactly when an input changes, so an existing one needs no build. */
  readonly contentTag: string;
  /** `<system>/<service>:<system version or latest>`: moves to the newest build. */
  readonly readableTag: string;
}

/** An ImageTag with what it was computed from, for the builder. */
export interface PlannedImage extends ImageTag {
  readonly context: BuildContext;
  readonly baseImage: string;
  /** The user's services/<name>/Dockerfile, built on top of msx's image, when there is one. */
  readonly userDockerfile: string | undefined;
}

const BASE_INSPECT_TIMEOUT_MS = 3000;

/**
 * The tags every buildable service (one whose folder exists) gets, computed
 * without building: a hash of the build context (the service's source, every
 * package file, the lockfile, the runtime tarball), msx's Dockerfile, the
 * user's Dockerfile, and the base image (its id when the engine has it, so a
 * rebuilt base rebuilds the services; its name alone when no engine answers).
 */
export async function imageTags(root: string, manifest: Manifest, options: { docker?: Docker } = {}): Promise<Record<string, ImageTag>> {
  const planned = await planImages(root, manifest, options);
  return Object.fromEntries(Object.entries(planned).map(([service, { service: s, hash, contentTag, readableTag }]) => [service, { service: s, hash, contentTag, readableTag }]));
}

/** imageTags with the contexts the tags were computed from. */
export async function planImages(root: string, manifest: Manifest, options: { docker?: Docker; services?: readonly string[] } = {}): Promise<Record<string, PlannedImage>> {
  const baseImage = nodeBaseImage(manifest);
  const baseId = await baseImageId(options.docker, baseImage);
  const version = systemVersion(root);
  const out: Record<string, PlannedImage> = {};
  for (const service of options.services ?? Object.keys(manifest.services)) {
    if (!existsSync(join(root, 'services', service))) continue;
    const context = buildContext(root, service);
    const userDockerfilePath = join(root, 'services', service, SERVICE_DOCKERFILE);
    const userDockerfile = existsSync(userDockerfilePath) ? readFileSync(userDockerfilePath, 'utf8') : undefined;
    const hash = contextHash(context, { ref: baseImage, id: baseId }, userDockerfile === undefined ? [] : ['user-dockerfile', userDockerfile]);
    const repository = imageRepository(manifest.name, service);
    out[service] = {
      service,
      hash,
      contentTag: `${repository}:h-${hash.slice(0, 12)}`,
      readableTag: `${repository}:${version}`,
      context,
      baseImage,
      userDockerfile,
    };
  }
  return out;
}

/** `<system>/<service>`: both are DNS labels, so this is a valid image repository name. */
export function imageRepository(system: string, service: string): string {
  return `${system}/${service}`;
}

/** The system's version (its package.json), or `latest` when it has none. */
export function systemVersion(root: string): string {
  try {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown }).version;
    // A tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}: semver's "+build" is not allowed.
    if (typeof version === 'string' && version !== '') return version.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128);
  } catch {
    // no or unreadable package.json: latest
  }
  return 'latest';
}

async function baseImageId(docker: Docker | undefined, ref: string): Promise<string | undefined> {
  if (!docker) return imageIdInEngine(ref, BASE_INSPECT_TIMEOUT_MS);
  const engine = docker;
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      engine.getImage(ref).inspect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), BASE_INSPECT_TIMEOUT_MS);
      }),
    ]);
    return info.Id;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
