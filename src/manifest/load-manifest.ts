import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Document, isMap, isPair, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { CliError } from '../errors/cli-error.js';
import type { Diagnostic, Located } from './diagnostic.js';
import { ManifestError } from './manifest-error.js';
import { knownKeysAt } from './schema-keys.js';
import { manifestSchema, type Manifest } from './schema.js';
import { semanticChecks } from './semantic-checks.js';
import { zodIssuesToDiagnostics } from './zod-diagnostics.js';

export const MANIFEST_FILE = 'msx.yaml';

export interface LoadedManifest {
  /** The validated manifest with every default applied. */
  readonly manifest: Manifest;
  /** The parsed document, kept for edits that preserve comments and layout. */
  readonly document: Document;
  /** Absolute path of msx.yaml. */
  readonly file: string;
  /** The system folder. */
  readonly root: string;
}

/** Reads and validates `<root>/msx.yaml`, or throws a CliError that says what to fix. */
export function loadManifest(root: string): LoadedManifest {
  const file = join(root, MANIFEST_FILE);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`no ${MANIFEST_FILE} in ${root}`, {
        exitCode: 2,
        hint: 'run the command inside a system folder, pass -C <dir>, or create a system with: msx new <dir>',
      });
    }
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, { exitCode: 1 });
  }
  const { manifest, document } = parseManifest(source, relative(process.cwd(), file) || file);
  return { manifest, document, file, root };
}

/** Parses and validates manifest text; `label` names the file in messages. */
export function parseManifest(source: string, label = MANIFEST_FILE): { manifest: Manifest; document: Document } {
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });

  if (document.errors.length > 0) {
    throw new ManifestError(label, document.errors.map((error) => {
      const start = lineCounter.linePos(error.pos[0]);
      return {
        path: [],
        line: start.line,
        column: start.col,
        message: `malformed YAML: ${error.message.split('\n')[0]}`,
        hint: error.code === 'DUPLICATE_KEY' ? 'each key may appear once in a mapping' : 'check indentation and quoting on this line',
      };
    }));
  }

  const data: unknown = document.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ManifestError(label, [{ path: [], line: 1, column: 1, message: 'must be a mapping with version, name and services', hint: 'start from the msx.yaml that `msx new` writes' }]);
  }

  const parsed = manifestSchema.safeParse(data, { reportInput: true });
  const diagnostics: Diagnostic[] = parsed.success
    ? semanticChecks(parsed.data)
    : zodIssuesToDiagnostics(parsed.error.issues, (path) => knownKeysAt(manifestSchema, data, path));

  if (diagnostics.length > 0 || !parsed.success) {
    throw new ManifestError(label, diagnostics.map((d) => locate(document, lineCounter, d)).sort((a, b) => a.line - b.line || a.column - b.column));
  }
  return { manifest: parsed.data, document };
}

/** Finds the line and column of a diagnostic's key or value, falling back to the nearest existing parent. */
function locate(document: Document, lines: LineCounter, diagnostic: Diagnostic): Located {
  const path = [...diagnostic.path];
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    const offset = depth === path.length && diagnostic.atKey ? keyOffset(document, prefix) : valueOffset(document, prefix);
    if (offset !== undefined) {
      const { line, col } = lines.linePos(offset);
      return { ...diagnostic, line, column: col };
    }
  }
  return { ...diagnostic, line: 1, column: 1 };
}

function valueOffset(document: Document, path: readonly (string | number)[]): number | undefined {
  if (path.length === 0) return document.contents?.range?.[0];
  const node = document.getIn(path, true) as Node | undefined;
  if (node && typeof node === 'object' && 'range' in node && node.range) return node.range[0];
  // A key present with an empty value: point at the key.
  return keyOffset(document, path);
}

function keyOffset(document: Document, path: readonly (string | number)[]): number | undefined {
  const parent = path.length <= 1 ? document.contents : document.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const last = path.at(-1);
  const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(last));
  return pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
}
