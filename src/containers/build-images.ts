import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { CliError, usageError } from '../errors/cli-error.js';
import type { Manifest } from '../manifest/schema.js';
import { BuildOutput, type EngineMessage, type FailedStep } from './build-output.js';
import { packContext, type BuildContext } from './build-context.js';
import { connectedEngine, isNotFound } from './docker-engine.js';
import { DOCKERFILE_FILE, ESBUILD_VERSION, SERVICE_DOCKERFILE } from './dockerfile.js';
import { planImages, type ImageTag, type PlannedImage } from './image-tags.js';
import { pushImage, registryOf } from './image-push.js';
import { labelBuildArgs, MSX_LABELS, sourceInfo, type SourceInfo } from './source-labels.js';

export interface BuildImagesOptions {
  /** Build only these services (default: every service with a folder under services/). */
  readonly services?: readonly string[];
  /** Also push each image to `infrastructure.kubernetes.registry`. */
  readonly push?: boolean;
  readonly signal?: AbortSignal;
  /** Each line the engine prints while building or pushing a service. */
  readonly onProgress?: (service: string, line: string) => void;
  /** Called when a service's build starts (after the up-to-date check). */
  readonly onStart?: (service: string, rebuilding: boolean) => void;
  /** Called when building or pushing a service's image failed (before the error is thrown). */
  readonly onFailure?: (service: string) => void;
  /** Called when a service's image is ready (built or found). */
  readonly onDone?: (image: BuiltImage) => void;
  /** An engine client to reuse (default: connectedEngine()). */
  readonly docker?: Docker;
}

export interface BuiltImage {
  readonly service: string;
  readonly tag: ImageTag;
  /** False when an image with the content tag already existed: nothing was built. */
  readonly rebuilt: boolean;
  readonly sizeBytes: number;
  readonly durationMs: number;
  /** The registry reference it was pushed as, with --push. */
  readonly pushed?: string;
}

/**
 * Builds the image of each service whose content tag the engine does not
 * have yet, one after the other (the first builds the shared dependency
 * layer, the rest reuse it), tags it with its readable tag too, and pushes
 * it when asked. Throws a CliError naming the failing step and its output.
 */
export async function buildImages(root: string, manifest: Manifest, options: BuildImagesOptions = {}): Promise<BuiltImage[]> {
  const services = selectServices(root, manifest, options.services);
  const registry = options.push ? registryOf(manifest) : undefined;
  checkWorkspace(root);
  const docker = options.docker ?? (await connectedEngine({ purpose: 'msx build' }));
  const planned = await planImages(root, manifest, { docker, services });
  const source = await sourceInfo(root);
  const one = async (service: string): Promise<BuiltImage> => {
    options.signal?.throwIfAborted();
    try {
      const image = await buildOne(docker, root, manifest, planned[service]!, source, options);
      const pushed = registry === undefined ? undefined : await pushImage(docker, image.tag, registry, { signal: options.signal, onProgress: (line) => options.onProgress?.(service, line) });
      const result = pushed === undefined ? image : { ...image, pushed };
      options.onDone?.(result);
      return result;
    } catch (error) {
      options.onFailure?.(service);
      throw error;
    }
  };
  // The first build makes the layers every image shares (npm ci); the rest
  // differ only in their own bundle and run side by side.
  const results = new Map<string, BuiltImage>();
  const queue = [...services];
  const first = queue.shift()!;
  results.set(first, await one(first));
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (queue.length > 0 && failure === undefined) {
      const service = queue.shift()!;
      try {
        results.set(service, await one(service));
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: BUILD_CONCURRENCY }, worker));
  if (failure) throw failure.error;
  return services.map((service) => results.get(service)!);
}

/** Service images built at once after the first: the machine's cores, not the engine, are the limit. */
const BUILD_CONCURRENCY = 2;

/** The services to build: those asked for (each must be in msx.yaml with a folder), or every one with a folder. */
export function selectServices(root: string, manifest: Manifest, asked: readonly string[] | undefined): string[] {
  const known = Object.keys(manifest.services);
  if (asked === undefined || asked.length === 0) {
    const buildable = known.filter((name) => existsSync(join(root, 'services', name)));
    if (buildable.length === 0) throw usageError('no service of msx.yaml has a folder under services/ to build', 'msx add service <name> creates one');
    return buildable;
  }
  for (const name of asked) {
    if (!known.includes(name)) throw usageError(`unknown service "${name}"`, `services in msx.yaml: ${known.join(', ')}`);
    if (!existsSync(join(root, 'services', name))) throw usageError(`service "${name}" has no folder services/${name} to build from`, `msx add service ${name} creates it, or build the others`);
  }
  return [...new Set(asked)];
}

/** What `npm ci` and esbuild in the Dockerfile need from the system. */
function checkWorkspace(root: string): void {
  if (!existsSync(join(root, 'package-lock.json'))) {
    throw usageError('package-lock.json is missing: images install exactly what the lockfile says', 'run npm install in the system folder once (it writes the lockfile), then msx build');
  }
  let pkg: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> } = {};
  try {
    pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    throw usageError('package.json of the system is missing or not JSON', 'restore it (msx new writes one), then run npm install');
  }
  if (!pkg.devDependencies?.esbuild && !pkg.dependencies?.esbuild) {
    throw usageError('the system has no esbuild dev dependency: msx build bundles each service with it', `run npm install -D esbuild@${ESBUILD_VERSION} in the system folder`);
  }
}

async function buildOne(docker: Docker, root: string, manifest: Manifest, plan: PlannedImage, source: SourceInfo, options: BuildImagesOptions): Promise<BuiltImage> {
  const started = Date.now();
  const existing = await inspectImage(docker, plan.contentTag);
  // The content tag alone is trusted only when the image says it was built by msx from this hash:
  // an image tagged otherwise (by hand, or by an older msx without the service's build argument) is rebuilt.
  if (existing && existing.Config?.Labels?.[MSX_LABELS.MSX_IMAGE_HASH] === plan.hash) {
    options.onStart?.(plan.service, false);
    await tagAs(docker, plan.contentTag, plan.readableTag);
    return { service: plan.service, tag: tagOf(plan), rebuilt: false, sizeBytes: existing.Size, durationMs: Date.now() - started };
  }
  options.onStart?.(plan.service, true);
  const labelArgs = labelBuildArgs({ root, system: manifest.name, service: plan.service, hash: plan.hash, source });
  const progress = (line: string) => options.onProgress?.(plan.service, line);
  // With a user Dockerfile, msx's image is its base: built under its own tag, then the user's on top.
  const msxTag = plan.userDockerfile === undefined ? plan.contentTag : `${plan.contentTag}-msx`;
  await runBuild(docker, packContext(plan.context), {
    t: msxTag,
    buildargs: { NODE_IMAGE: plan.baseImage, SERVICE: plan.service, ...labelArgs },
  }, { service: plan.service, dockerfile: DOCKERFILE_FILE, baseImage: plan.baseImage, signal: options.signal, onLine: progress });
  if (plan.userDockerfile !== undefined) {
    await runBuild(docker, packContext(userContext(plan.context, plan.userDockerfile)), {
      t: plan.contentTag,
      buildargs: { MSX_IMAGE: msxTag },
    }, { service: plan.service, dockerfile: `services/${plan.service}/${SERVICE_DOCKERFILE}`, baseImage: msxTag, signal: options.signal, onLine: progress });
  }
  await tagAs(docker, plan.contentTag, plan.readableTag);
  const info = await docker.getImage(plan.contentTag).inspect();
  return { service: plan.service, tag: tagOf(plan), rebuilt: true, sizeBytes: info.Size, durationMs: Date.now() - started };
}

/** A user's Dockerfile builds from the service's own folder (what msx's context holds under service/). */
function userContext(context: BuildContext, dockerfile: string): BuildContext {
  return {
    ...context,
    dockerfile,
    files: context.files.filter((f) => f.name.startsWith('service/')).map((f) => ({ ...f, name: f.name.slice('service/'.length) })),
  };
}

interface RunBuildContext {
  readonly service: string;
  readonly dockerfile: string;
  readonly baseImage: string;
  readonly signal: AbortSignal | undefined;
  readonly onLine: (line: string) => void;
}

async function runBuild(docker: Docker, tarStream: Readable, buildOptions: { t: string; buildargs: Record<string, string> }, run: RunBuildContext): Promise<void> {
  const output = new BuildOutput();
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(tarStream, { ...buildOptions, rm: true, forcerm: true, pull: false, abortSignal: run.signal } as Docker.ImageBuildOptions);
  } catch (error) {
    run.signal?.throwIfAborted();
    throw new CliError(`${run.service}: the engine refused the build: ${(error as Error).message}`, { exitCode: 1, hint: 'msx doctor checks the engine; docker info shows its state', cause: error });
  }
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()), (message: EngineMessage) => {
      for (const line of output.push(message)) run.onLine(line);
    });
  }).catch((error: unknown) => {
    run.signal?.throwIfAborted();
    throw new CliError(`${run.service}: the build stream broke: ${(error as Error).message}`, { exitCode: 1, hint: 'check the engine (docker info) and run msx build again', cause: error });
  });
  const failed = output.failed;
  if (failed) throw buildFailure(run, failed);
}

/** The failing step, what it printed (the last 40 lines) and what to do about it. */
function buildFailure(run: RunBuildContext, failed: FailedStep): CliError {
  const shown = failed.output.slice(-40);
  const details = [
    ...(failed.step ? [`failed at ${failed.step}`] : []),
    ...(failed.output.length > shown.length ? [`  … ${failed.output.length - shown.length} earlier lines`] : []),
    ...shown.map((line) => `  ${line}`),
    `  ${failed.error}`,
  ];
  return new CliError(`${run.service}: building its image failed (${run.dockerfile})`, { exitCode: 1, details, hint: failureHint(run, failed) });
}

function failureHint(run: RunBuildContext, failed: FailedStep): string {
  const step = failed.step ?? '';
  if (/ FROM /.test(step) || /pull access denied|manifest unknown|not found: manifest|No such image/i.test(failed.error)) {
    return `the engine has no image ${run.baseImage}: pull or build it, or set infrastructure.compose.images.node in msx.yaml to one it has`;
  }
  if (/npm ci/.test(step)) return 'the dependencies did not install: run npm install in the system folder so package-lock.json matches every package.json, and check that containers reach the npm registry';
  if (/esbuild/.test(step)) return `fix services/${run.service}/src as the output above says (npm run build shows it too), then msx build ${run.service}`;
  if (run.dockerfile.startsWith('services/')) return `fix ${run.dockerfile} (it builds FROM msx's image, ARG MSX_IMAGE), then msx build ${run.service}`;
  return `see the step's output above; msx build ${run.service} retries only this service`;
}

async function inspectImage(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Points `ref` (repository:tag) at the image `from` names. */
export async function tagAs(docker: Docker, from: string, ref: string): Promise<void> {
  const colon = ref.lastIndexOf(':');
  await docker.getImage(from).tag({ repo: ref.slice(0, colon), tag: ref.slice(colon + 1) });
}

const tagOf = (plan: PlannedImage): ImageTag => ({ service: plan.service, hash: plan.hash, contentTag: plan.contentTag, readableTag: plan.readableTag });
