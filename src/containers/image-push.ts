import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { CliError, usageError } from '../errors/cli-error.js';
import type { Manifest } from '../manifest/schema.js';
import type { EngineMessage } from './build-output.js';
import type { ImageTag } from './image-tags.js';

/** msx.yaml's `infrastructure.kubernetes.registry`, or a usage error saying how to set it. */
export function registryOf(manifest: Manifest): string {
  const registry = manifest.infrastructure.kubernetes.registry?.replace(/\/+$/, '');
  if (!registry) {
    throw usageError('--push needs a registry, and msx.yaml names none', 'set infrastructure.kubernetes.registry in msx.yaml, e.g. registry.example.com/team, then msx build --push');
  }
  return registry;
}

/** `<registry>/<system>/<service>:h-<hash>`: the reference an image is pushed as. */
export function registryReference(registry: string, tag: ImageTag): string {
  return `${registry}/${tag.contentTag}`;
}

/**
 * Tags the image for the registry and pushes it through the engine, with
 * the credentials `docker login` stored for that registry (DOCKER_CONFIG or
 * ~/.docker/config.json; credential helpers are not read).
 */
export async function pushImage(docker: Docker, tag: ImageTag, registry: string, options: { signal?: AbortSignal; onProgress?: (line: string) => void } = {}): Promise<string> {
  const reference = registryReference(registry, tag);
  const colon = reference.lastIndexOf(':');
  const repo = reference.slice(0, colon);
  const version = reference.slice(colon + 1);
  await docker.getImage(tag.contentTag).tag({ repo, tag: version });
  const authconfig = storedCredentials(registry.split('/')[0]!);
  let errorText: string | undefined;
  try {
    const stream = (await docker.getImage(repo).push({ tag: version, ...(authconfig ? { authconfig } : {}), abortSignal: options.signal } as never)) as unknown as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()), (message: EngineMessage) => {
        if (message.error !== undefined || message.errorDetail?.message !== undefined) errorText = message.errorDetail?.message ?? message.error;
        else if (message.status) options.onProgress?.([message.id, message.status, message.progress].filter(Boolean).join(' '));
      });
    });
  } catch (error) {
    options.signal?.throwIfAborted();
    errorText ??= (error as Error).message;
  }
  if (errorText !== undefined) {
    throw new CliError(`${tag.service}: pushing ${reference} failed: ${errorText}`, {
      exitCode: 1,
      hint: /auth|denied|unauthori[sz]ed/i.test(errorText)
        ? `log in first: docker login ${registry.split('/')[0]}`
        : `check that the engine reaches ${registry.split('/')[0]} (an HTTP-only registry must be in the engine's insecure-registries)`,
    });
  }
  return reference;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
}

function storedCredentials(host: string): { username?: string; password?: string; serveraddress: string; identitytoken?: string } | undefined {
  let config: DockerConfig;
  try {
    config = JSON.parse(readFileSync(join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json'), 'utf8')) as DockerConfig;
  } catch {
    return undefined;
  }
  const entry = config.auths?.[host] ?? config.auths?.[`https://${host}`] ?? config.auths?.[`https://${host}/v1/`];
  if (!entry) return undefined;
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: host };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: host };
  }
  return entry.username ? { username: entry.username, password: entry.password, serveraddress: host } : undefined;
}
