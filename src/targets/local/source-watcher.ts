import { existsSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { join, relative } from 'node:path';

export interface SourceWatcherOptions {
  /** The system folder. */
  readonly root: string;
  readonly services: readonly string[];
  /** Quiet time after the last change before `onChange`, ms. Default 300. */
  readonly debounceMs?: number;
  /** One call per burst of changes to one service, with the changed files relative to the service folder (`src/routes.ts`). */
  readonly onChange: (service: string, files: readonly string[]) => void;
  /** A folder could not be watched (or stopped being watchable); the others keep working. */
  readonly onError?: (service: string, error: Error) => void;
}

/** The folders of a service whose changes need a rebuild: its source, and its migrations when it has any. */
export function watchedFolders(root: string, service: string): string[] {
  return ['src', 'migrations'].map((name) => join(root, 'services', service, name)).filter((dir) => existsSync(dir));
}

/**
 * Watches the source folders of services for `msx up --watch`. Editors and
 * `git checkout` write several files (and one file several times) at once,
 * so changes are coalesced per service: one `onChange` after the folder has
 * been quiet for `debounceMs`, naming every file that changed.
 *
 * `fs.watch(dir, { recursive: true })` is used where the platform has it
 * (Linux since Node 20, macOS, Windows); elsewhere each folder is watched on
 * its own, which misses folders created later, an accepted gap for a
 * development convenience.
 */
export class SourceWatcher {
  readonly #options: SourceWatcherOptions;
  readonly #watchers: FSWatcher[] = [];
  readonly #pending = new Map<string, { timer: NodeJS.Timeout; files: Set<string> }>();
  #closed = false;

  constructor(options: SourceWatcherOptions) {
    this.#options = options;
  }

  /** Starts watching; returns the folders watched, for saying so. */
  start(): string[] {
    const watched: string[] = [];
    for (const service of this.#options.services) {
      const serviceDir = join(this.#options.root, 'services', service);
      for (const dir of watchedFolders(this.#options.root, service)) {
        try {
          this.#watchTree(service, serviceDir, dir);
          watched.push(relative(this.#options.root, dir));
        } catch (error) {
          this.#options.onError?.(service, error as Error);
        }
      }
    }
    return watched;
  }

  close(): void {
    this.#closed = true;
    for (const watcher of this.#watchers.splice(0)) watcher.close();
    for (const { timer } of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }

  #watchTree(service: string, serviceDir: string, dir: string): void {
    try {
      this.#watchOne(service, serviceDir, dir, true);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM') throw error;
      for (const folder of foldersUnder(dir)) this.#watchOne(service, serviceDir, folder, false);
    }
  }

  #watchOne(service: string, serviceDir: string, dir: string, recursive: boolean): void {
    const watcher = watch(dir, { recursive, persistent: false }, (_event, filename) => {
      if (filename === null) return this.#changed(service, relative(serviceDir, dir));
      const name = filename.toString();
      if (isEditorScratch(name)) return;
      this.#changed(service, relative(serviceDir, join(dir, name)));
    });
    watcher.on('error', (error) => {
      watcher.close(); // e.g. the folder was deleted: stop watching it, keep the rest
      this.#options.onError?.(service, error);
    });
    this.#watchers.push(watcher);
  }

  #changed(service: string, file: string): void {
    if (this.#closed) return;
    const pending = this.#pending.get(service);
    if (pending) clearTimeout(pending.timer);
    const files = pending?.files ?? new Set<string>();
    files.add(file);
    const timer = setTimeout(() => {
      this.#pending.delete(service);
      if (!this.#closed) this.#options.onChange(service, [...files].sort());
    }, this.#options.debounceMs ?? 300);
    this.#pending.set(service, { timer, files });
  }
}

/** Swap, backup and lock files that editors write beside the source: not changes to build. */
function isEditorScratch(path: string): boolean {
  const name = path.split(/[\\/]/).pop() ?? path;
  return name.startsWith('.') || name.endsWith('~') || name.endsWith('.swp') || name.endsWith('.tmp') || /^\d+$/.test(name);
}

function foldersUnder(dir: string): string[] {
  const out = [dir];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...foldersUnder(join(dir, entry.name)));
  }
  return out;
}
