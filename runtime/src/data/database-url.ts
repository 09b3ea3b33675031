/**
 * Resolves a database URL to an engine, in one place. The query parameter
 * `msx_engine=1` marks a URL served by `startEmbeddedPostgres`: `pg`
 * connects to it like to any server, but it is one serialised backend.
 */
import { DatabaseError } from './errors/database-error.js';
import { redactUrl } from '../config/redact-url.js';

export const EMBEDDED_URL_PARAM = 'msx_engine';

export type ResolvedDatabaseUrl =
  | { readonly kind: 'postgres' | 'embedded-server'; readonly url: string }
  | { readonly kind: 'embedded'; readonly inMemory: boolean };

/**
 * `postgres://` / `postgresql://` → pg (the embedded server when marked);
 * `embedded` or nothing → in-process engine on disk; `embedded:memory` →
 * in-process, in memory (tests).
 */
export function resolveDatabaseUrl(input: string | undefined): ResolvedDatabaseUrl {
  const value = (input ?? '').trim();
  if (value === '' || value === 'embedded') return { kind: 'embedded', inMemory: false };
  if (value === 'embedded:memory') return { kind: 'embedded', inMemory: true };
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch (cause) {
      throw new DatabaseError('DATABASE_CONFIG_INVALID', `Expected the database \`url\` (or DATABASE_URL) to be a valid URL, got ${redactUrl(value)}`, { cause });
    }
    if (!parsed.searchParams.has(EMBEDDED_URL_PARAM)) return { kind: 'postgres', url: value };
    parsed.searchParams.delete(EMBEDDED_URL_PARAM);
    return { kind: 'embedded-server', url: parsed.toString() };
  }
  throw new DatabaseError(
    'DATABASE_CONFIG_INVALID',
    `Expected the database \`url\` (or DATABASE_URL) to be a postgres:// URL, "embedded" or "embedded:memory", got ${JSON.stringify(/:\/\//.test(value) ? redactUrl(value) : value)}`,
  );
}

