import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { CliError } from '../errors/cli-error.js';
import { MANIFEST_FILE, parseManifest } from '../manifest/load-manifest.js';
import type { Manifest } from '../manifest/schema.js';
import { MSX_VERSION } from '../package-root.js';
import { ownedFiles } from '../scaffold/owned-files.js';
import { runtimeBundle, runtimeDependencySpec, SYSTEM_VENDOR_DIR } from '../scaffold/runtime-bundle.js';
import { MANIFEST_MIGRATIONS, MANIFEST_VERSION, migrationsBetween, SYSTEM_MIGRATIONS } from './migrations/index.js';
import type { SystemMigration } from './migrations/migration.js';
import { derivedOutputs, type DerivedOutput } from './derived-outputs.js';
import { classifyOwnedFile } from './owned-file-state.js';
import { readSystemVersions, serviceFolders, vendoredRuntimeFiles } from './system-versions.js';

/** One file the upgrade creates, changes or deletes. */
export interface FileChange {
  readonly path: string;
  /** Content on disk now; undefined when the upgrade creates the file. */
  readonly before: Buffer | undefined;
  /** Content after the upgrade; undefined when the upgrade deletes the file. */
  readonly after: Buffer | undefined;
  readonly why: string;
}

/** An msx-owned file that someone changed by hand: the upgrade stops rather than lose the change. */
export interface EditedOwnedFile {
  readonly path: string;
  readonly role: string;
}

export interface UpgradePlan {
  readonly from: string;
  readonly to: string;
  readonly manifestVersion: { readonly from: number; readonly to: number };
  readonly migrations: readonly { readonly version: string; readonly description: string }[];
  readonly changes: readonly FileChange[];
  readonly edited: readonly EditedOwnedFile[];
  /** Services whose `@msx/runtime` points somewhere msx did not put it: left alone, and said so. */
  readonly foreignRuntime: readonly string[];
  /** What the user should read afterwards. */
  readonly notes: readonly string[];
  /** Output for other tools that msx renders anew after the upgrade (compose.yaml, the Kubernetes folder). */
  readonly derived: readonly DerivedOutput[];
}

/** Staged file contents: what the upgrade will write, read back by later steps. */
class StagedTree {
  readonly #root: string;
  readonly #staged = new Map<string, { content: Buffer | undefined; why: string }>();

  constructor(root: string) { this.#root = root; }

  read(path: string): string | undefined {
    const staged = this.#staged.get(path);
    if (staged) return staged.content?.toString('utf8');
    const full = join(this.#root, path);
    return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
  }

  write(path: string, content: string | Buffer | undefined, why: string): void {
    const earlier = this.#staged.get(path)?.why;
    this.#staged.set(path, { content: typeof content === 'string' ? Buffer.from(content) : content, why: earlier && earlier !== why ? `${earlier}; ${why}` : why });
  }

  /** The staged writes that change something on disk. */
  changes(): FileChange[] {
    const out: FileChange[] = [];
    for (const [path, { content, why }] of this.#staged) {
      const full = join(this.#root, path);
      const before = existsSync(full) ? readFileSync(full) : undefined;
      if (before === undefined && content === undefined) continue;
      if (before !== undefined && content !== undefined && before.equals(content)) continue;
      out.push({ path, before, after: content, why });
    }
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }
}

/** Rewrites one field of a package.json, keeping its indentation and key order. */
function editJson(text: string, edit: (value: Record<string, unknown>) => void): string {
  const indent = /^[ \t]+(?=")/m.exec(text)?.[0] ?? '  ';
  const value = JSON.parse(text) as Record<string, unknown>;
  edit(value);
  return `${JSON.stringify(value, null, indent)}\n`;
}

/** msx.yaml brought to this msx's format, comments kept; and the validated manifest. */
function migrateManifest(root: string, tree: StagedTree): { manifest: Manifest; from: number } {
  const text = tree.read(MANIFEST_FILE);
  if (text === undefined) {
    throw new CliError(`no ${MANIFEST_FILE} in ${root}`, { exitCode: 2, hint: 'run msx upgrade in the folder of a system msx made' });
  }
  const document = parseDocument(text);
  const version = document.get('version');
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    parseManifest(text); // says what is wrong with it, with its line
    throw new CliError(`${MANIFEST_FILE} has no numeric version`, { exitCode: 2 });
  }
  if (version > MANIFEST_VERSION) {
    throw new CliError(`${MANIFEST_FILE} is version ${version}, newer than this msx reads (${MANIFEST_VERSION})`, {
      exitCode: 2,
      hint: 'this system was made by a newer msx: install that msx instead of upgrading with this one',
    });
  }
  for (const migration of MANIFEST_MIGRATIONS) {
    if (migration.to <= version) continue;
    migration.apply(document);
    document.set('version', migration.to);
  }
  const migrated = version === MANIFEST_VERSION ? text : String(document);
  if (migrated !== text) tree.write(MANIFEST_FILE, migrated, `msx.yaml format ${version} → ${MANIFEST_VERSION}`);
  return { manifest: parseManifest(migrated, MANIFEST_FILE).manifest, from: version };
}

/**
 * Everything `msx upgrade` would do, computed without writing a byte: the
 * runtime swapped, msx.yaml migrated, migrations applied, owned files
 * regenerated, the version recorded; and the owned files a user edited,
 * which stop the upgrade.
 */
export function planUpgrade(root: string, migrations: readonly SystemMigration[] = SYSTEM_MIGRATIONS): UpgradePlan {
  const tree = new StagedTree(root);
  const versions = readSystemVersions(root);
  const notes: string[] = [];
  const { manifest, from: manifestFrom } = migrateManifest(root, tree);
  const applicable = migrationsBetween(versions.msx, MSX_VERSION, migrations);

  for (const migration of applicable) {
    migration.apply?.({ root, read: (p) => tree.read(p), write: (p, c, why) => tree.write(p, c, why), note: (line) => notes.push(line) });
  }

  // The runtime: this msx's tarball in vendor/, every service pointing at it, older tarballs gone.
  const bundle = runtimeBundle();
  tree.write(`${SYSTEM_VENDOR_DIR}/${bundle.fileName}`, bundle.content, `the runtime of msx ${MSX_VERSION}`);
  for (const old of vendoredRuntimeFiles(root)) {
    if (old !== bundle.fileName) tree.write(`${SYSTEM_VENDOR_DIR}/${old}`, undefined, 'replaced by the new runtime');
  }
  for (const service of serviceFolders(root)) {
    if (versions.foreignRuntime.includes(service)) continue;
    const path = `services/${service}/package.json`;
    const text = tree.read(path)!;
    const next = editJson(text, (pkg) => {
      const deps = pkg.dependencies as Record<string, string> | undefined;
      if (deps?.['@msx/runtime'] !== undefined) deps['@msx/runtime'] = runtimeDependencySpec(bundle);
    });
    if (next !== text && JSON.stringify(JSON.parse(next)) !== JSON.stringify(JSON.parse(text))) tree.write(path, next, '@msx/runtime points at the new runtime');
  }
  if (versions.foreignRuntime.length > 0) {
    notes.push(`left @msx/runtime alone in ${versions.foreignRuntime.map((s) => `services/${s}/package.json`).join(', ')}: it points somewhere msx did not put it`);
  }

  // The record: which msx made the system now.
  const rootPackage = tree.read('package.json');
  if (rootPackage !== undefined) {
    tree.write('package.json', editJson(rootPackage, (pkg) => {
      pkg.msx = { ...(typeof pkg.msx === 'object' && pkg.msx !== null ? pkg.msx : {}), version: MSX_VERSION };
    }), `records that msx ${MSX_VERSION} made the system`);
  }

  // Owned files: regenerated when msx wrote them, a stop when someone edited them.
  const edited: EditedOwnedFile[] = [];
  for (const file of ownedFiles(root, manifest)) {
    const onDisk = tree.read(file.path);
    const state = classifyOwnedFile(file, onDisk, applicable);
    if (state === 'edited') edited.push({ path: file.path, role: file.role });
    else if (state !== 'current') tree.write(file.path, file.content, state === 'missing' ? `${file.role} (was missing)` : `${file.role}, as msx ${MSX_VERSION} writes it`);
  }
  for (const kept of manifest.keep) notes.push(`left ${kept} alone: msx.yaml lists it under keep:`);

  return {
    from: versions.msx,
    to: MSX_VERSION,
    manifestVersion: { from: manifestFrom, to: MANIFEST_VERSION },
    migrations: applicable.map(({ version, description }) => ({ version, description })),
    changes: tree.changes(),
    edited,
    foreignRuntime: versions.foreignRuntime,
    notes,
    derived: derivedOutputs(root, manifest),
  };
}
