import { Command } from 'commander';
import { loadManifest } from '../manifest/load-manifest.js';
import { describeChange, regenerateOwnedFiles } from '../scaffold/owned-files.js';
import { formatBytes } from '../targets/instance-format.js';
import { BuildProgressView, formatSeconds } from '../ui/build-progress.js';
import { colour } from '../ui/colour.js';
import { info, printJson, printTable } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { requireMatchingVersions } from '../upgrade/version-check.js';

interface BuildCommandOptions {
  push?: boolean;
  json?: boolean;
}

export function buildCommand(): Command {
  return new Command('build')
    .description('build a container image of each service (the gateway included) through the Docker engine; unchanged ones are not rebuilt')
    .argument('[services...]', 'build only these services (default: all)')
    .option('--push', 'also push each image to infrastructure.kubernetes.registry of msx.yaml')
    .option('--json', 'print the images as JSON (service, tags, size, rebuilt or not)')
    .addHelpText('after', `
Examples:
  $ msx build                    # every service; only what changed is built
  $ msx build orders gateway     # just these two
  $ msx build --push             # and push to infrastructure.kubernetes.registry
  $ msx build --json | jq -r '.images[] | select(.rebuilt) | .contentTag'

Each image is tagged twice: <system>/<service>:h-<hash>, a hash of everything
it is built from (the service's folder without tests, every package.json, the
lockfile, vendor/, the Dockerfile, the base image), so an image with that tag
is never built again; and <system>/<service>:<version> of the system's
package.json. Pushed images are <registry>/<system>/<service>:h-<hash>.

The Dockerfile is msx's: Dockerfile.generated, rewritten when msx changes it
(never edit it). Dependencies install once from package-lock.json for all
services; each service is bundled with esbuild into one file (no type check:
npm run build does that); the image has no npm, no tests and no .env, runs as
uid 1000 with NODE_ENV=production, and checks /ready on PORT (default 3000).
To change one service's image, write services/<name>/Dockerfile:
    ARG MSX_IMAGE
    FROM \${MSX_IMAGE}
    ...
msx builds it on top of its own image, with the service's folder as context.

The base image is infrastructure.compose.images.node (default node:20-bookworm-slim).
Needs a Docker engine (DOCKER_HOST is honoured) and package-lock.json (npm install).`)
    .action(async (services: string[], options: BuildCommandOptions, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      requireMatchingVersions(root);
      const changed = regenerateOwnedFiles(root, manifest);
      for (const file of changed) process.stderr.write(`${describeChange(file)}\n`);
      const { buildImages, selectServices } = await import('../containers/build-images.js');
      const selected = selectServices(root, manifest, services);
      const started = Date.now();
      const view = options.json ? undefined : new BuildProgressView(selected);
      let failed: string | undefined;
      let images;
      try {
        images = await buildImages(root, manifest, {
          services: selected,
          push: options.push,
          onStart: (service, rebuilding) => view?.onStart(service, rebuilding),
          onFailure: (service) => {
            failed ??= service;
          },
          onProgress: (service, line) => view?.onProgress(service, line),
          onDone: (image) => view?.onDone(image),
        });
      } catch (error) {
        view?.onFailure(failed);
        await view?.finish();
        throw error;
      }
      await view?.finish();
      const durationMs = Date.now() - started;
      if (options.json) {
        printJson({
          durationMs,
          images: images.map((image) => ({
            service: image.service,
            contentTag: image.tag.contentTag,
            readableTag: image.tag.readableTag,
            hash: image.tag.hash,
            sizeBytes: image.sizeBytes,
            rebuilt: image.rebuilt,
            durationMs: image.durationMs,
            ...(image.pushed ? { pushed: image.pushed } : {}),
          })),
        });
        return;
      }
      info('');
      printTable(['SERVICE', 'IMAGE', 'ALSO', 'SIZE', 'BUILT'], images.map((image) => [
        image.service,
        image.tag.contentTag,
        image.pushed ?? image.tag.readableTag,
        formatBytes(image.sizeBytes),
        image.rebuilt ? formatSeconds(image.durationMs) : colour.dim('up to date'),
      ]));
      const rebuilt = images.filter((image) => image.rebuilt).length;
      info(`${colour.green('✔')} ${rebuilt === 0 ? 'every image was up to date' : `built ${rebuilt} of ${images.length} image${images.length === 1 ? '' : 's'}`} in ${formatSeconds(durationMs)}`);
    });
}
