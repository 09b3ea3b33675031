/**
 * Opens PGlite (PostgreSQL compiled to WebAssembly) on a data directory, with
 * the same result parsing as the `pg` path so a query returns identical
 * values on every engine. Loaded lazily: only services on the embedded
 * engine pay its start-up.
 *
 * Memory: with PGlite's defaults one engine held about 200 MB resident
 * (measured on the shop, five engines in the `msx up` supervisor: 1 GB).
 * Where it went, and what this file does about it (measured per engine after
 * the first, on an existing data dir; see bench/up):
 * - shared buffers: the data dir's postgresql.conf says 128 MB, and the
 *   engine touches them — about 150 MB of linear memory per engine. A local
 *   development database is small and its files sit in the OS page cache
 *   anyway, so `EMBEDDED_SETTINGS` runs it with 4 MB, and with the
 *   per-connection tables sized for the one backend PGlite has.
 * - machine code: V8 first compiles the 9 MB module with Liftoff, then
 *   recompiles hot functions with TurboFan. PGlite compiles the module once
 *   per process and every engine instantiates it, so this is a cost per
 *   process, not per engine: measured by bench/embedded, about 115 MB more
 *   idle PSS for one engine and for five alike, and 2 s more CPU to open the first engine — for
 *   no measurable gain in query throughput through the wire server (the
 *   same CPU per query within noise: the time goes to the protocol and `pg`
 *   in JS, and a development database's queries are small). So
 *   `--liftoff-only` is set before the first engine's module is compiled,
 *   unless node was started with a WebAssembly compiler flag of its own.
 * - left: about 25 MB per engine (PGlite's file-system bundle in JS memory,
 *   catalog caches in linear memory). The 128 MB of initial linear memory
 *   is reserved, not resident, and PGlite refuses a smaller `initialMemory`.
 * Not an option: one engine for several services' databases. PGlite runs
 * PostgreSQL in single-user mode, bound at start to one database, so the
 * services would share one database (and one session), losing isolation.
 */
import { mkdir } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import type { PGlite } from '@electric-sql/pglite';
import { DatabaseError } from './errors/database-error.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** PostgreSQL settings of every embedded engine, on top of PGlite's own start parameters. */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '4MB',
  // One backend serves every connection (embedded-server.ts), so these only size per-backend tables in shared memory.
  max_connections: '8',
  temp_buffers: '1MB',
  maintenance_work_mem: '16MB',
};

let compilerChosen = false;

/** V8 flags that choose how WebAssembly is compiled; one given to node (bench/embedded compares them) is left as given. */
const WASM_COMPILER_FLAG = /^--(no-)?(liftoff|liftoff-only|wasm-tier-up|wasm-dynamic-tiering|wasm-tiering-budget)(=|$)/;

function wasmCompilerChosenOnCommandLine(): boolean {
  return process.execArgv.some((arg) => WASM_COMPILER_FLAG.test(arg.replaceAll('_', '-')));
}

/** `dataDir` undefined: in memory, gone when closed (tests). */
export async function openEmbeddedEngine(dataDir: string | undefined): Promise<PGlite> {
  try {
    if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
    if (!compilerChosen) {
      // Read by V8 when a WebAssembly module is compiled, so it takes effect for PGlite's module, compiled next.
      if (!wasmCompilerChosenOnCommandLine()) setFlagsFromString('--liftoff-only');
      compilerChosen = true;
    }
    const { PGlite: Engine } = await import('@electric-sql/pglite');
    return await Engine.create({
      ...(dataDir === undefined ? {} : { dataDir }),
      startParams: [...Engine.defaultStartParams, ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])],
      parsers: {
        [INT8_OID]: (value: string) => Number(value),
        // pg returns numeric as a string (no precision loss); so must this engine.
        [NUMERIC_OID]: (value: string) => value,
      },
    });
  } catch (cause) {
    throw new DatabaseError('DATABASE_UNAVAILABLE', `Cannot open the embedded PostgreSQL engine${dataDir === undefined ? ' in memory' : ` on ${dataDir}`}: ${(cause as Error).message}`, { cause, data: { dataDir } });
  }
}
