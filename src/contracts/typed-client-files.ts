import type { OpenApiDocument } from '@msx/runtime/contract';
import type { Manifest } from '../manifest/schema.js';
import type { OwnedFile } from '../scaffold/owned-files.js';
import { stampOwnedContent } from '../scaffold/owned-stamp.js';
import { loadContractDocument, type SourceOverrides } from './load-contract.js';
import { calledContracts } from './system-documents.js';
import { typedClientFile, typedClientModule } from './typed-client.js';

/**
 * The typed clients msx owns: for every service, one module per service it
 * `calls` that declares a contract, generated from that contract as it is
 * now. Each contract is loaded once however many services call it.
 */
export async function typedClientFiles(root: string, manifest: Manifest, overrides?: SourceOverrides): Promise<OwnedFile[]> {
  const documents = new Map<string, Promise<OpenApiDocument>>();
  const files: OwnedFile[] = [];
  for (const caller of Object.keys(manifest.services)) {
    for (const callee of calledContracts(root, manifest, caller, overrides)) {
      if (!documents.has(callee)) documents.set(callee, loadContractDocument(root, callee, overrides));
      const path = `services/${caller}/${typedClientFile(callee)}`;
      const content = stampOwnedContent(path, await typedClientModule(callee, await documents.get(callee)!));
      files.push({ path, content, role: `typed client of ${callee} for ${caller}`, source: 'msx.yaml' });
    }
  }
  const kept = new Set(manifest.keep);
  return files.filter((file) => !kept.has(file.path));
}
