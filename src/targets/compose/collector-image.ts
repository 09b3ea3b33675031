import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { failure } from '../../errors/cli-error.js';
import type { Manifest } from '../../manifest/schema.js';
import { nodeBaseImage } from '../../containers/base-image.js';
import { MSX_VERSION, PACKAGE_ROOT } from '../../package-root.js';
import { COLLECTOR_DATA_DIR, COLLECTOR_PORT } from './compose-names.js';

const HASH_LABEL = 'dev.msx.collector-hash';

/** `<system>/msx-collector:<msx version>`, the name compose-render gives the collector's image. */
export function collectorImageTag(manifest: Manifest): string {
  return `${manifest.name}/msx-collector:${MSX_VERSION}`;
}

/**
 * The msx-collector image: the node base image of the system plus msx's
 * own compiled observability modules (node built-ins only, no npm install),
 * run as uid 1000. Rebuilt when those files or the base image name change
 * (a label carries their hash), else kept.
 */
export async function ensureCollectorImage(docker: Docker, manifest: Manifest): Promise<{ tag: string; rebuilt: boolean }> {
  const tag = collectorImageTag(manifest);
  const base = nodeBaseImage(manifest);
  const dir = join(PACKAGE_ROOT, 'dist', 'observability');
  const files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort().map((name) => ({ name, content: readFileSync(join(dir, name)) }));
  const dockerfile = `FROM ${base}
WORKDIR /opt/msx-collector
COPY *.js package.json ./
# A new named volume takes the owner of the folder it is mounted on: make it uid 1000's.
RUN mkdir -p ${COLLECTOR_DATA_DIR} && chown 1000:1000 ${COLLECTOR_DATA_DIR}
USER 1000:1000
ENV MSX_COLLECTOR_DIR=${COLLECTOR_DATA_DIR} MSX_COLLECTOR_PORT=${COLLECTOR_PORT} NODE_ENV=production
EXPOSE ${COLLECTOR_PORT}
ENTRYPOINT ["node", "/opt/msx-collector/collector-main.js"]
`;
  const hash = createHash('sha256');
  hash.update(dockerfile);
  for (const f of files) hash.update(f.name).update(f.content);
  const digest = hash.digest('hex').slice(0, 16);
  try {
    const info = await docker.getImage(tag).inspect();
    if (info.Config?.Labels?.[HASH_LABEL] === digest) return { tag, rebuilt: false };
  } catch {
    // not built yet
  }
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile', mtime: new Date(0) }, dockerfile);
  // A package.json that makes the .js files ES modules, as they are in msx.
  pack.entry({ name: 'package.json', mtime: new Date(0) }, '{"type":"module"}\n');
  for (const f of files) pack.entry({ name: f.name, mtime: new Date(0) }, f.content);
  pack.finalize();
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, labels: { [HASH_LABEL]: digest, 'dev.msx.system': manifest.name } });
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()), (event: { stream?: string; error?: string }) => {
      if (event.stream) output.push(event.stream);
      if (event.error) reject(new Error(event.error));
    });
  }).catch((error: Error) => {
    throw failure(`building ${tag} failed: ${error.message}`, `the base image ${base} must exist in the engine (msx.yaml: infrastructure.compose.images.node)`, error);
  });
  return { tag, rebuilt: true };
}
