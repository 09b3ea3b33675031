import { MANIFEST_FILE } from '../manifest/load-manifest.js';
import { manifestText } from '../manifest/manifest-text.js';
import type { Manifest, ManifestInput } from '../manifest/schema.js';
import { GATEWAY_CONFIG_FILE, serviceOwnedFiles, systemOwnedFiles } from './owned-files.js';
import { servicePackageJson, systemPackageJson, systemTsconfig } from './package-files.js';
import { SYSTEM_VENDOR_DIR, type RuntimeBundle } from './runtime-bundle.js';
import { envFileText } from './secrets.js';
import { SERVICE_KINDS } from './service-kinds.js';
import { serviceTemplateData, systemTemplateData } from './template-data.js';
import { renderTemplate, templateExists, type PlannedFile } from './template-renderer.js';

export { GATEWAY_CONFIG_FILE };

export interface PlanOptions {
  /** Render services from `templates/examples/<example>/<service>/` where that folder exists. */
  readonly example?: string;
}

/** Every file of a new system. Pure apart from reading templates. */
export function planSystem(
  manifest: Manifest,
  manifestInput: ManifestInput,
  bundle: RuntimeBundle,
  secrets: Record<string, string>,
  options: PlanOptions = {},
): PlannedFile[] {
  return [
    { path: MANIFEST_FILE, content: manifestText(manifestInput) },
    ...systemOwnedFiles().map(({ path, content }) => ({ path, content })),
    { path: 'package.json', content: systemPackageJson(manifest) },
    { path: 'tsconfig.json', content: systemTsconfig(manifest) },
    { path: '.env', content: envFileText(secrets), mode: 0o600 },
    { path: `${SYSTEM_VENDOR_DIR}/${bundle.fileName}`, content: bundle.content },
    ...renderTemplate('system', systemTemplateData(manifest)),
    ...Object.keys(manifest.services).flatMap((name) => planService(manifest, name, bundle, options)),
  ];
}

/** The files of one service folder, services/<name>/. */
export function planService(manifest: Manifest, name: string, bundle: RuntimeBundle, options: PlanOptions = {}): PlannedFile[] {
  const service = manifest.services[name]!;
  const dir = `services/${name}`;
  const data = serviceTemplateData(manifest, name);
  const exampleTemplate = options.example ? `examples/${options.example}/${name}` : undefined;
  const template = exampleTemplate && templateExists(exampleTemplate) ? exampleTemplate : SERVICE_KINDS[service.kind].template;
  const files: PlannedFile[] = [
    { path: `${dir}/package.json`, content: servicePackageJson(manifest, name, bundle) },
    ...renderTemplate('service-base', data, dir),
    ...renderTemplate(template, data, dir),
  ];
  return [...files, ...serviceOwnedFiles(manifest, name).map(({ path, content }) => ({ path, content }))];
}
