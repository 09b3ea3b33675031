import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Document, isAlias, isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Node } from 'yaml';
import { CliError } from '../errors/cli-error.js';
import type { Diagnostic, Located } from './diagnostic.js';
import { errColour } from '../ui/colour.js';
import { formatDiagnostics, ManifestError } from './manifest-error.js';
import { knownKeysAt } from './schema-keys.js';
import { manifestSchema, type Manifest } from './schema.js';
import { semanticChecks } from './semantic-checks.js';
import { decodeUtf8 } from './utf8.js';
import { applyEnvironment, ENVIRONMENT_VARIABLE, locateInEnvironment, requestedEnvironment } from './environments.js';
import { zodIssuesToDiagnostics } from './zod-diagnostics.js';

export const MANIFEST_FILE = 'msx.yaml';

export interface LoadedManifest {
  /** The validated manifest with every default applied. */
  readonly manifest: Manifest;
  /** The parsed document, kept for edits that preserve comments and layout. */
  readonly document: Document;
  /** Absolute path of msx.yaml. */
  readonly file: string;
  /** What is valid but probably not meant (already printed on stderr). */
  readonly warnings: readonly Located[];
  /** The system folder. */
  readonly root: string;
}

/**
 * Reads and validates `<root>/msx.yaml`, or throws a CliError that says what
 * to fix. The manifest is resolved for the environment this run uses
 * (--env, passed on as MSX_ENV), when there is one.
 */
export function loadManifest(root: string, environment: string | undefined = requestedEnvironment()): LoadedManifest {
  const file = join(root, MANIFEST_FILE);
  const label = relative(process.cwd(), file) || file;
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) {
      throw new CliError(`${label} is a directory, not a file`, { exitCode: 2, hint: `msx.yaml must be the system's manifest file; move the folder away (e.g. mv ${label} ${label}.d) and restore the file` });
    }
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof CliError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`no ${MANIFEST_FILE} in ${root} or any folder above it`, {
        exitCode: 2,
        hint: 'run the command inside a system folder, pass -C <dir>, or create a system with: msx new <dir>',
      });
    }
    throw new CliError(`cannot read ${label}: ${(error as Error).message}`, { exitCode: 1 });
  }
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) {
    // Reading on would replace the bytes with U+FFFD, and a later edit (msx add service) would write them back changed.
    throw new ManifestError(label, [{
      path: [],
      line: decoded.line,
      column: decoded.column,
      message: `is not UTF-8: byte 0x${decoded.byte.toString(16).padStart(2, '0')} at offset ${decoded.offset} is not valid here`,
      hint: 'save msx.yaml as UTF-8 (e.g. iconv -f latin1 -t utf-8 msx.yaml), then run the command again',
    }]);
  }
  const { manifest, document, warnings } = parseManifest(decoded.text, label, environment);
  for (const warning of warnings) {
    const [first, ...rest] = formatDiagnostics(label, [warning]);
    process.stderr.write(`${errColour.yellow('warning')} ${first}\n${rest.map((line) => `  ${line}\n`).join('')}`);
  }
  return { manifest, document, file, root, warnings };
}

/**
 * Parses and validates manifest text; `label` names the file in messages.
 * With `environment`, the manifest returned is the one that environment
 * runs: its overrides applied, and validated again as a whole.
 */
export function parseManifest(source: string, label = MANIFEST_FILE, environment?: string): { manifest: Manifest; document: Document; warnings: Located[] } {
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

  let data: unknown;
  try {
    // Aliases expand when converted: a few nested ones (a "billion laughs")
    // would take all memory. The yaml library refuses past maxAliasCount.
    data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const at = firstAliasOffset(document);
    const { line, col } = at === undefined ? { line: 1, col: 1 } : lineCounter.linePos(at);
    throw new ManifestError(label, [{
      path: [],
      line,
      column: col,
      message: `aliases expand to too much (more than ${MAX_ALIAS_COUNT} nodes through nested aliases): ${error.message}`,
      hint: 'write the values out, or use fewer nested *aliases',
    }]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ManifestError(label, [{ path: [], line: 1, column: 1, message: 'must be a mapping with version, name and services', hint: 'start from the msx.yaml that `msx new` writes' }]);
  }

  const base = validate(data, document, lineCounter, label);
  if (environment === undefined) return { manifest: base.manifest, document, warnings: base.warnings };

  const known = Object.keys(base.manifest.environments);
  if (!known.includes(environment)) {
    throw new CliError(`unknown environment "${environment}" (--env or ${ENVIRONMENT_VARIABLE})`, {
      exitCode: 2,
      hint: known.length > 0
        ? `${label} defines: ${known.join(', ')}`
        : `${label} defines no environments; add one under environments: (e.g. environments: { staging: { services: { users: { replicas: 2 } } } })`,
    });
  }
  // The environment's overrides are merged into the data and the result is checked like any manifest;
  // a problem is shown where the environment wrote the value.
  const applied = validate(applyEnvironment(data as Record<string, unknown>, environment), document, lineCounter, label,
    (diagnostic) => locateInEnvironment(diagnostic, data as Record<string, unknown>, environment));
  const spec = base.manifest.environments[environment]!;
  return { manifest: { ...applied.manifest, environment: { name: environment, secrets: spec.secrets } }, document, warnings: applied.warnings };
}

function validate(data: unknown, document: Document, lineCounter: LineCounter, label: string, relocate: (d: Diagnostic) => Diagnostic = (d) => d): { manifest: Manifest; warnings: Located[] } {
  const parsed = manifestSchema.safeParse(data, { reportInput: true });
  const found: Diagnostic[] = parsed.success
    ? semanticChecks(parsed.data)
    : zodIssuesToDiagnostics(parsed.error.issues, (path) => knownKeysAt(manifestSchema, data, path));
  const located = found.map((d) => locate(document, lineCounter, relocate(d))).sort((a, b) => a.line - b.line || a.column - b.column);
  const errors = located.filter((d) => d.severity !== 'warning');

  if (errors.length > 0 || !parsed.success) throw new ManifestError(label, errors);
  return { manifest: parsed.data, warnings: located.filter((d) => d.severity === 'warning') };
}

/** Nodes that aliases may expand to, in all. msx.yaml needs a handful at most. */
const MAX_ALIAS_COUNT = 100;

function firstAliasOffset(document: Document): number | undefined {
  let offset: number | undefined;
  visit(document, {
    Alias(_key, node) {
      if (isAlias(node) && node.range) {
        offset = node.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return offset;
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
