import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors/cli-error.js';
import { PACKAGE_ROOT } from '../package-root.js';

/** Where generated systems keep the runtime tarball, relative to the system folder. */
export const SYSTEM_VENDOR_DIR = 'vendor';

export interface RuntimeBundle {
  readonly fileName: string;
  readonly version: string;
  readonly content: Buffer;
}

/**
 * The packed `@msx/runtime` that ships with this msx (built by `npm run build`
 * into vendor/). Generated services depend on it as `file:` so they install
 * without a registry copy of the runtime.
 */
export function runtimeBundle(): RuntimeBundle {
  const dir = join(PACKAGE_ROOT, 'vendor');
  let fileName: string | undefined;
  try {
    fileName = readdirSync(dir).find((f) => /^msx-runtime-.+\.tgz$/.test(f));
  } catch {
    fileName = undefined;
  }
  if (!fileName) {
    throw new CliError('the packed msx runtime is missing from this msx installation', {
      exitCode: 1,
      hint: `run "npm run build" in ${PACKAGE_ROOT} to build and pack it`,
    });
  }
  // msx-runtime-<version>-<content hash>.tgz
  const version = fileName.slice('msx-runtime-'.length, fileName.lastIndexOf('-'));
  return { fileName, version, content: readFileSync(join(dir, fileName)) };
}

/** The dependency spec a service in services/<name>/ uses for the runtime. */
export function runtimeDependencySpec(bundle: RuntimeBundle): string {
  return `file:../../${SYSTEM_VENDOR_DIR}/${bundle.fileName}`;
}
