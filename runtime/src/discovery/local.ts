import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import type { Discovery, Instance } from './discovery.js';
import { DiscoveryError } from './discovery-error.js';

export interface LocalDiscoveryOptions {
  /** Path of the registry file written by the `msx up` supervisor. Default: env `MSX_LOCAL_REGISTRY`. */
  readonly registryPath?: string;
  /**
   * Polling interval in ms: the file's mtime is checked this often, in case
   * a file-system event was missed or `fs.watch` is unavailable. Default 2000.
   */
  readonly pollMs?: number;
  /** Called after every successful (re)load, with the ready instances per service. */
  readonly onUpdate?: (services: ReadonlyMap<string, readonly Instance[]>) => void;
  /** Told when the file cannot be read or parsed; the last good registry keeps being served. */
  readonly onError?: (error: unknown) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** The registry file's shape, as the supervisor writes it. */
export interface LocalRegistryFile {
  readonly services: Readonly<Record<string, ReadonlyArray<{ readonly id: string; readonly url: string; readonly ready: boolean }>>>;
}

function parseRegistry(text: string, path: string): Map<string, readonly Instance[]> {
  const data = JSON.parse(text) as unknown;
  const services = (data as { services?: unknown } | null)?.services;
  if (typeof services !== 'object' || services === null || Array.isArray(services)) {
    throw new DiscoveryError('DISCOVERY_UNAVAILABLE', `Expected ${path} to hold {"services": {...}}, got ${text.slice(0, 80)}`);
  }
  const out = new Map<string, readonly Instance[]>();
  for (const [service, entries] of Object.entries(services as Record<string, unknown>)) {
    if (!Array.isArray(entries)) continue;
    const ready: Instance[] = [];
    for (const e of entries as unknown[]) {
      const entry = e as { id?: unknown; url?: unknown; ready?: unknown };
      if (entry.ready !== true || typeof entry.id !== 'string' || typeof entry.url !== 'string') continue;
      ready.push({ id: entry.id, service, url: entry.url.replace(/\/+$/, '') });
    }
    out.set(service, Object.freeze(ready));
  }
  return out;
}

/**
 * Instances that `msx up` runs on this machine. The supervisor rewrites a
 * JSON registry file (path in `MSX_LOCAL_REGISTRY`) whenever an instance
 * starts, becomes ready, or stops; this backend watches it so scaled
 * instances appear and disappear without restarting the caller. Only
 * `ready: true` entries are returned.
 *
 * The directory is watched rather than the file because writers replace the
 * file atomically (write then rename), which ends a watch on the old inode.
 * An unref'd mtime poll backs `fs.watch` up where it misses events or is
 * unsupported. A missing file is an empty registry (the supervisor may not
 * have written it yet); an unparsable one keeps the last good content.
 */
export function createLocalDiscovery(options: LocalDiscoveryOptions = {}): Discovery {
  const env = options.env ?? process.env;
  const rawPath = options.registryPath ?? env.MSX_LOCAL_REGISTRY;
  if (!rawPath) {
    throw new DiscoveryError(
      'DISCOVERY_CONFIG_INVALID',
      'The local discovery backend needs the `registryPath` option or the MSX_LOCAL_REGISTRY variable, got neither',
    );
  }
  const pollMs = options.pollMs ?? 2000;
  if (!Number.isInteger(pollMs) || pollMs <= 0) {
    throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected the \`pollMs\` option to be a positive integer, got ${String(pollMs)}`);
  }
  const path = resolvePath(rawPath);
  const file = basename(path);

  let services = new Map<string, readonly Instance[]>();
  let lastMtimeMs = -1;
  let closed = false;
  // Reloads are serialised; a change arriving mid-read schedules one more.
  let reloading: Promise<void> | undefined;
  let again = false;

  async function readOnce(): Promise<void> {
    try {
      const info = await stat(path);
      const text = await readFile(path, 'utf8');
      lastMtimeMs = info.mtimeMs;
      services = parseRegistry(text, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        lastMtimeMs = -1;
        services = new Map();
      } else {
        options.onError?.(error);
        return;
      }
    }
    options.onUpdate?.(services);
  }

  function reload(): Promise<void> {
    if (closed) return Promise.resolve();
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = (async () => {
      do {
        again = false;
        await readOnce();
      } while (again && !closed);
    })().finally(() => {
      reloading = undefined;
    });
    return reloading;
  }

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
      if (name === null || name === file) void reload();
    });
    watcher.on('error', (error) => {
      // The poll below keeps the registry current without the watcher.
      options.onError?.(error);
      watcher?.close();
      watcher = undefined;
    });
  } catch (error) {
    options.onError?.(error);
  }

  const poll = setInterval(() => {
    stat(path).then(
      (info) => {
        if (info.mtimeMs !== lastMtimeMs) void reload();
      },
      () => {
        if (lastMtimeMs !== -1) void reload();
      },
    );
  }, pollMs);
  poll.unref();

  let isWarm = false;
  const warmed = reload().finally(() => {
    isWarm = true;
  });

  return {
    kind: 'local',
    async resolve(service) {
      await warmed;
      return services.get(service) ?? [];
    },
    cached: (service) => (isWarm ? (services.get(service) ?? []) : undefined),
    async register() {},
    async close() {
      closed = true;
      clearInterval(poll);
      watcher?.close();
      await reloading;
    },
  };
}
