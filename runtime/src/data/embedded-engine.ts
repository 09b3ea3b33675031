/**
 * Opens PGlite (PostgreSQL compiled to WebAssembly) on a data directory, with
 * the same result parsing as the `pg` path so a query returns identical
 * values on every engine. Loaded lazily: only services on the embedded
 * engine pay its start-up (about 1 s and ~300 MB RSS on an existing data
 * dir; several seconds the first time, when it runs initdb).
 */
import { mkdir } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import { DatabaseError } from './errors/database-error.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** `dataDir` undefined: in memory, gone when closed (tests). */
export async function openEmbeddedEngine(dataDir: string | undefined): Promise<PGlite> {
  try {
    if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
    const { PGlite: Engine } = await import('@electric-sql/pglite');
    return await Engine.create({
      ...(dataDir === undefined ? {} : { dataDir }),
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
