import { CompilerMissingError, rebuildService } from './service-rebuilder.js';
import { SourceWatcher } from './source-watcher.js';
import type { Supervisor } from './supervisor.js';

export interface SourceReloaderOptions {
  readonly root: string;
  readonly supervisor: Supervisor;
  readonly services: readonly string[];
  /** Quiet time after the last change before a rebuild, ms. Default 300. */
  readonly debounceMs?: number;
}

/**
 * `msx up --watch`: when a service's source changes, rebuild it and, only if
 * the build succeeds, restart its instances one at a time. A failed build is
 * reported (one log line per compiler error) and the running instances keep
 * serving the previous build, so a half-typed edit never takes a service
 * down.
 *
 * Builds run one at a time (two compilers on two busy cores starve the
 * instances); changes that arrive while a service is being rebuilt or
 * restarted are remembered and trigger one more round afterwards, so the
 * last edit always wins. Every outcome goes to the service's log through
 * the supervisor, which is where `msx logs` and the foreground output look.
 */
export class SourceReloader {
  readonly #options: SourceReloaderOptions;
  readonly #watcher: SourceWatcher;
  /** Services with a rebuild in progress. */
  readonly #busy = new Set<string>();
  /** Files changed while their service was busy. */
  readonly #queued = new Map<string, Set<string>>();
  #builds: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: SourceReloaderOptions) {
    this.#options = options;
    this.#watcher = new SourceWatcher({
      root: options.root,
      services: options.services,
      debounceMs: options.debounceMs,
      onChange: (service, files) => this.#changed(service, files),
      onError: (service, error) => options.supervisor.noteService(service, 'warn', `cannot watch the source of ${service}: ${error.message}`),
    });
  }

  /** Starts watching; returns the folders watched (relative to the system folder). */
  start(): string[] {
    return this.#watcher.start();
  }

  close(): void {
    this.#closed = true;
    this.#watcher.close();
  }

  #changed(service: string, files: readonly string[]): void {
    if (this.#closed) return;
    if (this.#busy.has(service)) {
      const queued = this.#queued.get(service) ?? new Set<string>();
      files.forEach((file) => queued.add(file));
      this.#queued.set(service, queued);
      return;
    }
    this.#busy.add(service);
    void this.#reload(service, files).finally(() => {
      this.#busy.delete(service);
      const queued = this.#queued.get(service);
      this.#queued.delete(service);
      if (queued && !this.#closed) this.#changed(service, [...queued].sort());
    });
  }

  async #reload(service: string, files: readonly string[]): Promise<void> {
    const { supervisor, root } = this.#options;
    const change = describeFiles(files);
    supervisor.noteService(service, 'info', `${change} changed; rebuilding ${service}`, { files });
    const build = this.#builds.then(() => rebuildService(root, service));
    this.#builds = build.catch(() => undefined);
    let result;
    try {
      result = await build;
    } catch (error) {
      const message = error instanceof CompilerMissingError ? error.message : `could not rebuild ${service}: ${(error as Error).message}`;
      supervisor.noteService(service, 'error', message);
      return;
    }
    if (this.#closed) return;
    if (!result.ok) {
      for (const line of result.errors) supervisor.noteService(service, 'error', `build error: ${line}`);
      supervisor.noteService(service, 'warn', `${service} build failed (${plural(result.errors.length, 'error')}) after a change in ${change}; the running instances keep the previous build`, { errors: result.errors.length });
      return;
    }
    try {
      const restarted = await supervisor.restartService(service);
      if (this.#closed || restarted.length === 0) return;
      supervisor.noteService(service, 'info', `${service} rebuilt and restarted (${plural(restarted.length, 'instance')}) after a change in ${change}`, { instances: restarted, buildMs: result.durationMs });
    } catch (error) {
      if (!this.#closed) supervisor.noteService(service, 'error', `${service} was rebuilt but not restarted: ${(error as Error).message}`);
    }
  }
}

/** `src/routes.ts`, or `src/routes.ts and 2 more files`, for a log line. */
function describeFiles(files: readonly string[]): string {
  if (files.length === 0) return 'the source';
  return files.length === 1 ? files[0]! : `${files[0]} and ${plural(files.length - 1, 'more file')}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
