import { Document } from 'yaml';
import type { ManifestInput } from './schema.js';

export const SCHEMA_FILE = 'msx.schema.json';

const HEADER = [
  ' yaml-language-server: $schema=./msx.schema.json',
  ' The manifest of this system: every msx command reads it.',
  ' Services, their ports, routes and events; infrastructure per target.',
  ' Reference: msx --help, and msx.schema.json for every key.',
].join('\n');

/** Serialises a manifest as msx.yaml text, with the header that wires editor completion. */
export function manifestText(manifest: ManifestInput): string {
  const document = new Document(manifest);
  document.commentBefore = HEADER;
  return document.toString({ lineWidth: 0 });
}
