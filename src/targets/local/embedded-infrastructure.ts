import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '../../manifest/schema.js';
import { envName } from '../../manifest/names.js';
import { startTraceCollector } from '../../observability/trace-collector.js';
import type { LocalPaths } from './local-paths.js';

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
  /** Stops what was started, after the services have stopped. */
  close(): Promise<void>;
}

/**
 * Starts the local target's embedded infrastructure:
 * - a trace collector (OTLP/HTTP) storing spans under `.msx/traces`, unless
 *   the environment already points services at a collector;
 * - one embedded PostgreSQL-compatible engine per service that owns a
 *   database, served on the wire protocol so every instance of a scaled
 *   service shares it, with its files under `.msx/data/<service>/postgres`.
 *   `<SERVICE>_DATABASE_URL` (or `infrastructure.local.database: postgres`
 *   with that variable) uses a real server instead.
 * The event bus needs nothing here: the embedded bus is a file all instances share.
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

  try {
    const tracingChosen = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_SDK_DISABLED === 'true';
    if (!tracingChosen) {
      const collector = await startTraceCollector({ dir: join(paths.stateDir, 'traces') });
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
      const { startEmbeddedPostgres } = await import('@msx/runtime/data');
      const template = await freshDataDirTemplate(startEmbeddedPostgres, env);
      await Promise.all(embedded.map(async (service) => {
        const dataDir = join(paths.dataDir, service, 'postgres');
        if (!existsSync(dataDir)) cpSync(template, dataDir, { recursive: true });
        const engine = await startEmbeddedPostgres({ dataDir });
        closers.push(() => engine.close());
        serviceEnv[service]!.DATABASE_URL = engine.url;
      }));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { serviceEnv, close };
}

/**
 * A freshly initialised, cleanly closed data directory of the embedded
 * engine, kept in the user's cache. Creating a cluster (initdb) is the slow
 * part of a first start, seconds of CPU per database; copying this template
 * instead makes it one initdb per machine and engine version.
 */
async function freshDataDirTemplate(
  start: (options: { dataDir: string }) => Promise<{ close(): Promise<void> }>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const runtimeVersion = (createRequire(import.meta.url)('@msx/runtime/package.json') as { version: string; dependencies: Record<string, string> });
  const key = `${runtimeVersion.version}-pglite-${(runtimeVersion.dependencies['@electric-sql/pglite'] ?? 'x').replace(/[^\w.-]/g, '')}`;
  const cache = join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'msx', `embedded-postgres-${key}`);
  if (existsSync(cache)) return cache;
  const building = `${cache}.${process.pid}.tmp`;
  mkdirSync(building, { recursive: true });
  try {
    const engine = await start({ dataDir: building });
    await engine.close();
    renameSync(building, cache);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (existsSync(cache)) return cache; // another msx up won the race
    throw error;
  }
  return cache;
}
