import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenApiDocument } from '@msx/runtime/contract';
import { CliError } from '../errors/cli-error.js';

/** Where a system keeps the contracts its callers rely on, committed with the code: `contracts/<service>.openapi.json`. */
export const CONTRACTS_DIR = 'contracts';

export function committedContractPath(service: string): string {
  return `${CONTRACTS_DIR}/${service}.openapi.json`;
}

export function documentText(document: OpenApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The committed documents, by service. A file that is not JSON is the user's to fix (exit 2). */
export function readCommittedContracts(root: string): Map<string, OpenApiDocument> {
  const dir = join(root, CONTRACTS_DIR);
  const found = new Map<string, OpenApiDocument>();
  if (!existsSync(dir)) return found;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.openapi.json')).sort()) {
    const service = file.slice(0, -'.openapi.json'.length);
    try {
      found.set(service, JSON.parse(readFileSync(join(dir, file), 'utf8')) as OpenApiDocument);
    } catch (error) {
      throw new CliError(`${CONTRACTS_DIR}/${file} is not valid JSON: ${(error as Error).message}`, { exitCode: 2, hint: `restore it from git, or run msx contracts update ${service} to write the current contract`, cause: error });
    }
  }
  return found;
}

export function writeCommittedContract(root: string, service: string, document: OpenApiDocument): void {
  mkdirSync(join(root, CONTRACTS_DIR), { recursive: true });
  writeFileSync(join(root, committedContractPath(service)), documentText(document));
}
