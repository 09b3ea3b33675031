import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve } from 'node:path';
import type { Contract, OpenApiDocument } from '@msx/runtime/contract';
import type { Plugin } from 'esbuild';
import { CliError } from '../errors/cli-error.js';

/** Where a service declares its API, relative to its folder. */
export const CONTRACT_FILE = 'src/contract.ts';

/** Files not yet on disk (a system `msx new` is still planning), by absolute path; they win over the disk. */
export type SourceOverrides = ReadonlyMap<string, string>;

/**
 * msx's own copies of the runtime and zod: a contract is evaluated against
 * them, so its schemas are instances of the zod that turns them into JSON
 * Schema, and a system that is not installed yet (`msx new`) loads too.
 */
const SHARED_PACKAGES = /^(?:zod|@msx\/runtime)(?:\/.*)?$/;

/**
 * Loads a service's `src/contract.ts` and returns its OpenAPI document.
 * The module (and the files it imports) is bundled by esbuild — no type
 * check, like `msx build` — and imported in this process; its `zod` and
 * `@msx/runtime` imports resolve to msx's own. A contract that does not
 * compile or does not export `contract` is the user's to fix: exit 2 with
 * the file and line.
 */
export async function loadContractDocument(root: string, service: string, overrides?: SourceOverrides): Promise<OpenApiDocument> {
  const entry = join(root, 'services', service, CONTRACT_FILE);
  const shown = relative(process.cwd(), entry) || entry;
  const { build } = await import('esbuild');
  let code: string;
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
      plugins: [sharedPackages(), ...(overrides ? [plannedFiles(overrides)] : [])],
    });
    code = result.outputFiles[0]!.text;
  } catch (error) {
    const messages = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors ?? [];
    throw new CliError(`the contract of ${service} does not compile`, {
      exitCode: 2,
      details: messages.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}` : m.text)),
      hint: `fix ${shown}; a contract imports only @msx/runtime/contract, zod and its own files`,
      cause: error,
    });
  }
  const file = join(tmpdir(), `msx-contract-${service}-${randomUUID()}.mjs`);
  writeFileSync(file, code);
  let loaded: { contract?: Contract };
  try {
    loaded = (await import(`file://${file}`)) as { contract?: Contract };
  } catch (error) {
    throw new CliError(`the contract of ${service} fails when loaded: ${(error as Error).message}`, { exitCode: 2, hint: `fix ${shown}`, cause: error });
  } finally {
    rmSync(file, { force: true });
  }
  const contract = loaded.contract;
  if (contract === undefined || typeof contract !== 'object' || typeof contract.routes !== 'object') {
    throw new CliError(`${shown} does not export \`contract\``, { exitCode: 2, hint: `export const contract = defineContract('${service}', { … }) from @msx/runtime/contract` });
  }
  if (contract.service !== service) {
    throw new CliError(`${shown} declares the contract of "${contract.service}", not of ${service}`, { exitCode: 2, hint: `call defineContract('${service}', …)` });
  }
  const { openApiDocument } = await import('@msx/runtime/contract');
  return openApiDocument(contract);
}

/** Whether the service declares a contract (on disk, or among the planned files). */
export function hasContract(root: string, service: string, overrides?: SourceOverrides): boolean {
  const entry = join(root, 'services', service, CONTRACT_FILE);
  return overrides?.has(entry) === true || existsSync(entry);
}

function sharedPackages(): Plugin {
  return {
    name: 'msx-shared-packages',
    setup(build) {
      build.onResolve({ filter: SHARED_PACKAGES }, (args) => ({ path: import.meta.resolve(args.path), external: true }));
    },
  };
}

/** Serves planned files from memory, resolving relative imports as TypeScript does (`./x.js` is `./x.ts`). */
function plannedFiles(overrides: SourceOverrides): Plugin {
  const candidates = (path: string): string[] => {
    const ext = extname(path);
    const stem = ext === '.js' || ext === '.mjs' ? path.slice(0, -ext.length) : path;
    return [path, `${stem}.ts`, `${stem}.mts`, join(path, 'index.ts')];
  };
  return {
    name: 'msx-planned-files',
    setup(build) {
      build.onResolve({ filter: /^\.{0,2}\// }, (args) => {
        const base = resolve(args.kind === 'entry-point' ? process.cwd() : dirname(args.importer), args.path);
        const found = candidates(base).find((candidate) => overrides.has(candidate));
        return found === undefined ? undefined : { path: found };
      });
      build.onLoad({ filter: /\.m?ts$/ }, (args) => {
        const contents = overrides.get(args.path) ?? (existsSync(args.path) ? readFileSync(args.path, 'utf8') : undefined);
        return contents === undefined ? undefined : { contents, loader: 'ts' };
      });
    },
  };
}
