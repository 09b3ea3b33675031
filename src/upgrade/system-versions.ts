import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_VENDOR_DIR } from '../scaffold/runtime-bundle.js';

/**
 * The version msx records for a system made before msx recorded one: the
 * first msx (0.1) wrote no `msx` field into the system's package.json.
 */
export const UNRECORDED_MSX_VERSION = '0.1.0';

/** Which msx made (or last upgraded) a system, and which runtime its services run. */
export interface SystemVersions {
  /** From the `msx.version` field of the system's package.json; absent before msx 0.2. */
  readonly recorded: string | undefined;
  /** `recorded`, or the version of the msx that did not record one. */
  readonly msx: string;
  /** The vendored runtime tarballs the services' package.json files point at (normally one). */
  readonly runtimeFiles: readonly string[];
  /** Services whose `@msx/runtime` does not point at a vendored tarball (the user changed it): left alone. */
  readonly foreignRuntime: readonly string[];
}

const RUNTIME_SPEC = /^file:(?:\.\.\/\.\.\/)?vendor\/(msx-runtime-[^/]+\.tgz)$/;

interface PackageJson { msx?: { version?: unknown }; dependencies?: Record<string, string> }

function readJson(path: string): PackageJson | undefined {
  try { return JSON.parse(readFileSync(path, 'utf8')) as PackageJson; } catch { return undefined; }
}

export function readSystemVersions(root: string): SystemVersions {
  const pkg = readJson(join(root, 'package.json'));
  const recorded = typeof pkg?.msx?.version === 'string' ? pkg.msx.version : undefined;
  const runtimeFiles = new Set<string>();
  const foreignRuntime: string[] = [];
  for (const service of serviceFolders(root)) {
    const spec = readJson(join(root, 'services', service, 'package.json'))?.dependencies?.['@msx/runtime'];
    if (spec === undefined) continue;
    const match = RUNTIME_SPEC.exec(spec);
    if (match) runtimeFiles.add(match[1]!);
    else foreignRuntime.push(service);
  }
  return { recorded, msx: recorded ?? UNRECORDED_MSX_VERSION, runtimeFiles: [...runtimeFiles].sort(), foreignRuntime };
}

/** The service folders under services/ (whatever msx.yaml says: a folder msx.yaml forgot still has a package.json). */
export function serviceFolders(root: string): string[] {
  try {
    return readdirSync(join(root, 'services'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(root, 'services', entry.name, 'package.json')))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

/** The tarballs present in the system's vendor/ folder. */
export function vendoredRuntimeFiles(root: string): string[] {
  try {
    return readdirSync(join(root, SYSTEM_VENDOR_DIR)).filter((name) => /^msx-runtime-.+\.tgz$/.test(name)).sort();
  } catch {
    return [];
  }
}
