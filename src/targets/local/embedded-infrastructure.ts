import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Manifest } from '../../manifest/schema.js';
import { envName } from '../../manifest/names.js';
import { startTraceCollector } from '../../observability/trace-collector.js';
import { freeBytes, isNoSpace, NoSpaceError } from '../../errors/no-space.js';
import { fsyncPath, fsyncTree, treeSize } from './disk-space.js';
import type { LocalPaths } from './local-paths.js';
import { isAlive } from './state-store.js';

/** What a new cluster of the embedded engine takes on disk (39 MB with PGlite 0.5), for the message when even that does not fit. */
const CLUSTER_SIZE_ESTIMATE = 40 * 1024 ** 2;
/** Room a database needs beyond its copy to open and take its first writes. */
const HEADROOM = 8 * 1024 ** 2;
const RETRY = { then: 'run msx up again (nothing half-copied is kept)' };

/** A service owns a database, but nothing says where it is and the local target is set to use a server. */
export class MissingDatabaseUrlError extends Error {
  override readonly name = 'MissingDatabaseUrlError';
  constructor(readonly service: string, readonly variable: string) {
    super(`${service} owns a database and infrastructure.local.database is postgres, but ${variable} is not set`);
  }
}

/** What the supervisor runs beside the services so that they need no servers. */
export interface EmbeddedInfrastructure {
  /** Environment every instance of a service gets, by service (e.g. its DATABASE_URL). */
  readonly serviceEnv: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Per service with an embedded database: resolves once its engine is open (its URL accepts connections before). */
  readonly open: Readonly<Record<string, Promise<void>>>;
  /** Resolves once every engine is open; rejects with the first that could not be (a NoSpaceError on a full disk). */
  readonly ready: Promise<void>;
  /** Stops what was started, after the services have stopped. */
  close(): Promise<void>;
}

/**
 * Starts the local target's embedded infrastructure:
 * - a trace collector (OTLP/HTTP) storing spans under `.msx/traces`, unless
 *   the environment already points services at a collector;
 * - one embedded PostgreSQL-compatible engine per service that owns a
 *   database, served on the wire protocol so every instance of a scaled
 *   service shares it, with its files under `.msx/data/<service>/postgres`
 *   (copied atomically from a template; a full disk is a NoSpaceError).
 *   `<SERVICE>_DATABASE_URL` (or `infrastructure.local.database: postgres`
 *   with that variable) uses a real server instead.
 * The event bus needs nothing here: the embedded bus is a file all instances share.
 * Resolves once everything listens; the engines open meanwhile (`open`,
 * `ready`), so the instances can load their code beside them.
 */
export async function startEmbeddedInfrastructure(options: {
  readonly manifest: Manifest;
  readonly paths: LocalPaths;
  /** `.env` merged with the environment msx runs in. */
  readonly env: Readonly<Record<string, string | undefined>>;
}): Promise<EmbeddedInfrastructure> {
  const { manifest, paths, env } = options;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => {});
  };
  const common: Record<string, string> = {};
  const serviceEnv: Record<string, Record<string, string>> = {};
  const open: Record<string, Promise<void>> = {};

  try {
    const tracingChosen = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_SDK_DISABLED === 'true';
    if (!tracingChosen) {
      const collector = await startTraceCollector({ dir: paths.tracesDir });
      closers.push(() => collector.close());
      common.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    }

    const embedded: string[] = [];
    for (const [service, spec] of Object.entries(manifest.services)) {
      serviceEnv[service] = { ...common };
      if (spec.kind === 'gateway' || !spec.database) continue;
      const variable = `${envName(service)}_DATABASE_URL`;
      const given = env[variable];
      if (given) serviceEnv[service]!.DATABASE_URL = given;
      else if (manifest.infrastructure.local.database === 'postgres') throw new MissingDatabaseUrlError(service, variable);
      else embedded.push(service);
    }
    if (embedded.length > 0) {
      // Loaded only when a service needs it: the engine is WebAssembly and large.
      const { serveEmbeddedPostgres, startEmbeddedPostgres } = await import('@msx/runtime/data');
      const template = await freshDataDirTemplate(startEmbeddedPostgres, env);
      const dataDirs = new Map(embedded.map((service) => [service, join(paths.dataDir, service, 'postgres')]));
      copyTemplate(template, dataDirs);
      for (const service of embedded) {
        const dataDir = dataDirs.get(service)!;
        const noSpace = (error: unknown) => isNoSpace(error) ? new NoSpaceError(`the embedded database of ${service}`, dataDir, undefined, { cause: error, ...RETRY }) : error;
        const served = await serveEmbeddedPostgres({ dataDir }).catch((error: unknown) => { throw noSpace(error); });
        closers.push(() => served.close());
        serviceEnv[service]!.DATABASE_URL = served.url;
        const opened = served.opened.catch((error: unknown) => { throw noSpace(error); });
        opened.catch(() => {}); // reported through `ready`
        open[service] = opened;
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  const ready = Promise.all(Object.values(open)).then(() => undefined);
  ready.catch(() => {}); // the caller's to report
  return { serviceEnv, open, ready, close };
}

/**
 * Gives every service that has no data directory yet a copy of the
 * template. Each copy is made beside its final place, flushed to disk and
 * then renamed into place, so a data directory that exists is complete: a
 * copy cut short (a full disk, a kill) leaves only a `postgres.copy-<pid>`
 * folder, which the next start removes. The space all copies need is
 * checked first, so a full disk is reported before anything is written.
 */
function copyTemplate(template: string, dataDirs: ReadonlyMap<string, string>): void {
  for (const dataDir of dataDirs.values()) removeLeftoverCopies(dataDir);
  const missing = [...dataDirs].filter(([, dataDir]) => !existsSync(dataDir));
  if (missing.length === 0) return;
  const size = treeSize(template);
  const needed = size * missing.length + HEADROOM;
  const [firstService, firstDir] = missing[0]!;
  const free = freeBytes(dirname(firstDir));
  if (free !== undefined && free < needed) {
    const what = missing.length === 1 ? `the embedded database of ${firstService}` : `the embedded databases of ${missing.map(([service]) => service).join(', ')}`;
    throw new NoSpaceError(what, dirname(dirname(firstDir)), needed, RETRY);
  }
  for (const [service, dataDir] of missing) {
    const copy = `${dataDir}.copy-${process.pid}`;
    try {
      mkdirSync(dirname(dataDir), { recursive: true });
      cpSync(template, copy, { recursive: true });
      fsyncTree(copy);
      renameSync(copy, dataDir);
      fsyncPath(dirname(dataDir));
    } catch (error) {
      rmSync(copy, { recursive: true, force: true });
      if (isNoSpace(error)) throw new NoSpaceError(`the embedded database of ${service}`, dirname(dataDir), size + HEADROOM, { cause: error, ...RETRY });
      throw error;
    }
  }
}

/** Removes copies of the template that an earlier start left half-made beside `dataDir` (their process is gone). */
function removeLeftoverCopies(dataDir: string): void {
  const parent = dirname(dataDir);
  if (!existsSync(parent)) return;
  const prefix = `${basename(dataDir)}.copy-`;
  for (const name of readdirSync(parent)) {
    // Only msx's own copies (`<dir>.copy-<pid>`): a user's folder that merely starts alike is never touched.
    if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) continue;
    const pid = Number(name.slice(prefix.length));
    if (pid !== process.pid && isAlive(pid)) continue; // another msx up is copying right now
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/**
 * A freshly initialised, cleanly closed data directory of the embedded
 * engine, kept in the user's cache. Creating a cluster (initdb) is the slow
 * part of a first start, seconds of CPU per database; copying this template
 * instead makes it one initdb per machine and engine version. Built aside,
 * flushed and renamed into place like the copies; a build an earlier start
 * left unfinished is removed.
 */
async function freshDataDirTemplate(
  start: (options: { dataDir: string }) => Promise<{ close(): Promise<void> }>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const runtimeVersion = (createRequire(import.meta.url)('@msx/runtime/package.json') as { version: string; dependencies: Record<string, string> });
  const key = `${runtimeVersion.version}-pglite-${(runtimeVersion.dependencies['@electric-sql/pglite'] ?? 'x').replace(/[^\w.-]/g, '')}`;
  const cache = join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'msx', `embedded-postgres-${key}`);
  if (existsSync(cache)) return cache;
  removeLeftoverBuilds(cache);
  const building = `${cache}.${process.pid}.tmp`;
  try {
    mkdirSync(building, { recursive: true });
    const engine = await start({ dataDir: building });
    await engine.close();
    fsyncTree(building);
    renameSync(building, cache);
    fsyncPath(dirname(cache));
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (existsSync(cache)) return cache; // another msx up won the race
    if (isNoSpace(error)) throw new NoSpaceError('the embedded database template (one per machine)', dirname(cache), CLUSTER_SIZE_ESTIMATE + HEADROOM, { cause: error, ...RETRY });
    throw error;
  }
  return cache;
}

/** Removes template builds (`<cache>.<pid>.tmp`) whose msx is gone. */
function removeLeftoverBuilds(cache: string): void {
  const parent = dirname(cache);
  if (!existsSync(parent)) return;
  const prefix = `${basename(cache)}.`;
  for (const name of readdirSync(parent)) {
    const pid = name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length, -'.tmp'.length)) : NaN;
    if (!Number.isInteger(pid) || (pid !== process.pid && isAlive(pid))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}
