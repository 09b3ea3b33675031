import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { imageRepository, systemVersion } from '../../containers/image-tags.js';
import { CliError } from '../../errors/cli-error.js';
import type { Manifest } from '../../manifest/schema.js';
import { replaceFilesTogether } from '../../scaffold/file-transaction.js';
import { COMPOSE_FILE, composeFile, composeFileText, isMsxComposeFile } from './compose-file.js';
import { composeProjectName } from './compose-names.js';
import { managedSecretVariables } from './compose-secrets.js';
import { provisioningFiles, type GeneratedFile } from './provisioning-files.js';
import { ensureSystemSecrets } from './system-secrets-file.js';

export interface WriteComposeFileOptions {
  /** Image of each msx service (and `msx-collector`); see {@link ComposeFileInput.images}. Default: the readable tags `msx build` gives (`<system>/<service>:<version>`). */
  readonly images?: Readonly<Record<string, string>>;
  /** Default 2. */
  readonly composeVersion?: 1 | 2;
  /** Replace a compose.yaml that msx did not write. */
  readonly force?: boolean;
  /**
   * Where to write the compose file instead of `<root>/compose.yaml`. The
   * Prometheus and Grafana files stay in `<root>/compose/`; a file outside
   * the system folder refers to them by absolute path.
   */
  readonly file?: string;
}

export interface WrittenComposeFile {
  /** Absolute path of compose.yaml. */
  readonly path: string;
  /** Whether compose.yaml or a provisioning file was written (false: all were already what msx.yaml gives). */
  readonly changed: boolean;
  /** Every file rendered, relative to the system folder, and whether it changed. */
  readonly files: readonly { path: string; changed: boolean }[];
  /** Secrets generated into `.env` because the compose file needs them and they were missing. */
  readonly secretsAdded: readonly string[];
}

/**
 * Renders compose.yaml and the Prometheus and Grafana files from msx.yaml as
 * it is now and writes those that differ, all or none (each by rename, so a
 * reader never sees half a file). The user's own `.env` variables are
 * passed to the services by name; missing secrets are generated into `.env`.
 *
 * @throws CliError (exit 2) when compose.yaml exists and is not msx's, unless `force`.
 */
export async function writeComposeFile(root: string, manifest: Manifest, options: WriteComposeFileOptions = {}): Promise<WrittenComposeFile> {
  const path = options.file !== undefined ? resolve(root, options.file) : join(root, COMPOSE_FILE);
  const composePath = relative(root, path);
  const inRoot = dirname(path) === resolve(root);
  if (!options.force && !isMsxComposeFile(path)) {
    throw new CliError(`${path} was not written by msx; msx will not replace it`, {
      exitCode: 2,
      hint: `move your changes to compose.override.yaml (msx passes it to compose after ${COMPOSE_FILE}), then run again with --force to let msx own ${COMPOSE_FILE}`,
    });
  }
  const dotEnv = ensureSystemSecrets(root, manifest);
  const managed = managedSecretVariables(manifest);
  const file = composeFile({
    manifest,
    projectName: composeProjectName(manifest),
    images: options.images ?? readableImageTags(root, manifest),
    ...(options.composeVersion !== undefined ? { composeVersion: options.composeVersion } : {}),
    userVariables: dotEnv.names.filter((name) => !managed.has(name)),
    ...(inRoot ? {} : { mountBase: resolve(root) }),
  });
  const rendered: GeneratedFile[] = [{ path: composePath, content: composeFileText(file) }, ...provisioningFiles(manifest)];
  const stale = rendered.filter((f) => {
    const target = join(root, f.path);
    return !existsSync(target) || readFileSync(target, 'utf8') !== f.content;
  });
  if (stale.length > 0) replaceFilesTogether(root, stale);
  return {
    path,
    changed: stale.length > 0,
    files: rendered.map((f) => ({ path: f.path, changed: stale.includes(f) })),
    secretsAdded: dotEnv.added,
  };
}

/**
 * The tag `msx build` moves to each service's newest image
 * (`<system>/<service>:<version>`), for a file rendered without build
 * results; the compose target passes the content tags it built instead.
 */
function readableImageTags(root: string, manifest: Manifest): Record<string, string> {
  const version = systemVersion(root);
  return Object.fromEntries(Object.keys(manifest.services).map((service) => [service, `${imageRepository(manifest.name, service)}:${version}`]));
}
