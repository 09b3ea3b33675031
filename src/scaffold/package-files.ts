import { ESBUILD_VERSION } from '../containers/dockerfile.js';
import type { Manifest } from '../manifest/schema.js';
import { MSX_VERSION } from '../package-root.js';
import { runtimeDependencySpec, type RuntimeBundle } from './runtime-bundle.js';

/**
 * package.json and tsconfig.json files of a generated system, built as
 * objects and serialised at the end (never by string templates).
 */

export const TYPESCRIPT_VERSION = '^5.9.3';
export const NODE_TYPES_VERSION = '^20.19.0';

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export function systemPackageJson(manifest: Manifest): string {
  return json({
    name: manifest.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    description: manifest.description ?? `The ${manifest.name} system, scaffolded by msx.`,
    workspaces: ['services/*'],
    engines: { node: '>=20.18' },
    scripts: {
      build: 'tsc -b',
      test: 'tsc -b && npm test --workspaces --if-present',
      clean: 'tsc -b --clean',
    },
    devDependencies: {
      '@types/node': NODE_TYPES_VERSION,
      // msx build bundles each service into one file with it.
      esbuild: ESBUILD_VERSION,
      typescript: TYPESCRIPT_VERSION,
    },
    // npm 11 runs no dependency install scripts unless allowed here. The
    // runtime's embedded bus uses better-sqlite3, a native addon that must
    // build at install time.
    allowScripts: { 'better-sqlite3': true },
    // Which msx made (or last upgraded) this system: every command compares
    // it with its own version, and `msx upgrade` migrates from it.
    msx: { version: MSX_VERSION },
  });
}

/** Solution-style tsconfig: `tsc -b` at the root builds every service. */
export function systemTsconfig(manifest: Manifest): string {
  return json({
    files: [],
    references: Object.keys(manifest.services).map((name) => ({ path: `services/${name}` })),
  });
}

export function servicePackageJson(manifest: Manifest, name: string, bundle: RuntimeBundle): string {
  return json({
    name: `@${manifest.name}/${name}`,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      build: 'tsc -b',
      start: 'node --env-file=../../.env dist/src/main.js',
      test: 'tsc -b && node --test dist/test/',
    },
    dependencies: {
      '@msx/runtime': runtimeDependencySpec(bundle),
    },
  });
}
