import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The msx package's own folder (where templates/ and vendor/ live), found the
 * same way whether msx runs from dist/ or from src/ through tsx.
 */
export const PACKAGE_ROOT: string = join(dirname(fileURLToPath(import.meta.url)), '..');

interface PackageJson {
  readonly version: string;
}

export const MSX_VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as PackageJson).version;
