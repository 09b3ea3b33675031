import type Docker from 'dockerode';
import { packContext } from '../../containers/build-context.js';
import { planImages } from '../../containers/image-tags.js';
import { CliError } from '../../errors/cli-error.js';
import type { Manifest } from '../../manifest/schema.js';

/**
 * The image of each service for `msx up --target compose`, named by the
 * content hash of its build inputs: one that exists is used as it is (an
 * unchanged service is never rebuilt), one that does not is built now from
 * msx's Dockerfile, so a stale image is never run.
 *
 * Interim: this builds with the engine's legacy builder and no per-step
 * progress; `msx build` (src/containers/build-images.ts) replaces it.
 */
export async function serviceImages(root: string, manifest: Manifest, docker: Docker, onBuild: (service: string) => void): Promise<Record<string, string>> {
  const planned = await planImages(root, manifest, { docker });
  const out: Record<string, string> = {};
  for (const [service, plan] of Object.entries(planned)) {
    out[service] = plan.contentTag;
    try {
      await docker.getImage(plan.contentTag).inspect();
      continue;
    } catch {
      // not built yet: build it
    }
    if (!plan.context.hasLockfile) throw new CliError(`${service} cannot be built: the system has no package-lock.json`, { exitCode: 1, hint: 'run npm install in the system folder, then msx up --target compose again' });
    onBuild(service);
    const stream = await docker.buildImage(packContext(plan.context) as unknown as NodeJS.ReadableStream, { t: plan.contentTag, rm: true, forcerm: true, buildargs: { NODE_IMAGE: plan.baseImage } });
    const output: string[] = [];
    const error = await new Promise<string | undefined>((resolve) => {
      let failed: string | undefined;
      docker.modem.followProgress(stream, (err: Error | null) => resolve(err?.message ?? failed), (event: { stream?: string; error?: string }) => {
        if (event.stream) output.push(...event.stream.split('\n').filter(Boolean));
        if (event.error) failed = event.error;
      });
    });
    if (error) {
      throw new CliError(`building the image of ${service} failed: ${error}`, { exitCode: 1, details: output.slice(-15), hint: `fix the step above (npm run build in services/${service} shows compiler errors), then run msx up --target compose again` });
    }
    await docker.getImage(plan.contentTag).tag({ repo: plan.readableTag.slice(0, plan.readableTag.lastIndexOf(':')), tag: plan.readableTag.slice(plan.readableTag.lastIndexOf(':') + 1) });
  }
  return out;
}
