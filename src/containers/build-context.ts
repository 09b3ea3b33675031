import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { serviceDockerfile } from './dockerfile.js';

/** One file of a build context: its path inside the context and its bytes. */
export interface ContextFile {
  readonly name: string;
  readonly content: Buffer;
  readonly executable: boolean;
}

/** What `msx build` sends the engine for one service, and what its content tag hashes. */
export interface BuildContext {
  readonly service: string;
  readonly dockerfile: string;
  readonly files: readonly ContextFile[];
  /** Whether the system has a package-lock.json (the Dockerfile's `npm ci` needs one). */
  readonly hasLockfile: boolean;
}

/** Names left out of a service's folder: never part of what runs. */
const EXCLUDED_NAMES = new Set(['node_modules', 'dist', 'test', 'tests', '__tests__', 'coverage', 'Dockerfile']);
const EXCLUDED_FILE = /(\.tsbuildinfo|\.(test|spec)\.[cm]?[jt]sx?)$/;

/**
 * The build context of one service, read from the system folder:
 * deps/ (every package file `npm ci` needs), tsconfig.base.json, and
 * service/ (its folder without tests, build output, dependencies, dotfiles
 * such as .env, or the user's own Dockerfile). Sorted, so the same inputs
 * always give the same context and the same hash.
 */
export function buildContext(root: string, service: string): BuildContext {
  const files: ContextFile[] = [];
  const add = (name: string, path: string) => {
    const stat = lstatSync(path);
    files.push({ name, content: readFileSync(path), executable: (stat.mode & 0o111) !== 0 });
  };
  for (const name of ['package.json', 'package-lock.json']) {
    if (existsSync(join(root, name))) add(`deps/${name}`, join(root, name));
  }
  for (const path of walk(join(root, 'vendor'))) add(`deps/vendor/${posix(relative(join(root, 'vendor'), path))}`, path);
  const servicesDir = join(root, 'services');
  for (const name of existsSync(servicesDir) ? readdirSync(servicesDir).sort() : []) {
    const packageJson = join(servicesDir, name, 'package.json');
    if (existsSync(packageJson)) add(`deps/services/${name}/package.json`, packageJson);
  }
  if (existsSync(join(root, 'tsconfig.base.json'))) add('tsconfig.base.json', join(root, 'tsconfig.base.json'));
  const serviceDir = join(servicesDir, service);
  for (const path of walk(serviceDir, (name, isDir) => !name.startsWith('.') && !EXCLUDED_NAMES.has(name) && (isDir || !EXCLUDED_FILE.test(name)))) {
    add(`service/${posix(relative(serviceDir, path))}`, path);
  }
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { service, dockerfile: serviceDockerfile(), files, hasLockfile: existsSync(join(root, 'package-lock.json')) };
}

/** SHA-256 over the Dockerfile, the base image and every context file (name and bytes). */
export function contextHash(context: BuildContext, baseImage: { ref: string; id: string | undefined }, extra: readonly string[] = []): string {
  const hash = createHash('sha256');
  const field = (value: string | Buffer) => {
    hash.update(`${Buffer.byteLength(value)}:`);
    hash.update(value);
  };
  field('msx-image-v1');
  field(context.service);
  field(context.dockerfile);
  field(baseImage.ref);
  field(baseImage.id ?? '');
  for (const value of extra) field(value);
  for (const file of context.files) {
    field(file.name);
    field(file.executable ? 'x' : '-');
    field(file.content);
  }
  return hash.digest('hex');
}

/**
 * The context as a tar stream for the engine, with fixed owners and times:
 * equal inputs give equal layers, which the engine then shares between images.
 */
export function packContext(context: BuildContext): Readable {
  const pack = tar.pack();
  const entries: ContextFile[] = [{ name: 'Dockerfile', content: Buffer.from(context.dockerfile), executable: false }, ...context.files];
  for (const file of entries) {
    pack.entry({ name: file.name, size: file.content.length, mode: file.executable ? 0o755 : 0o644, mtime: new Date(0), uid: 0, gid: 0 }, file.content);
  }
  pack.finalize();
  return pack;
}

/** Files under dir (recursively, sorted, regular files only; symlinks are not followed). */
function walk(dir: string, keep: (name: string, isDir: boolean) => boolean = () => true): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (keep(entry.name, true)) out.push(...walk(path, keep));
    } else if (entry.isFile() && keep(entry.name, false)) {
      out.push(path);
    }
  }
  return out;
}

const posix = (path: string): string => path.split(sep).join('/');
