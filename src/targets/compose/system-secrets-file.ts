import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../manifest/schema.js';
import { envFileText, missingSecrets, parseEnvFile } from '../../scaffold/secrets.js';

export const DOT_ENV = '.env';

export interface DotEnvState {
  /** Every variable name in `.env` after the call. */
  readonly names: readonly string[];
  /** Secrets that were missing and have just been generated into it. */
  readonly added: readonly string[];
}

/**
 * Makes sure the system's `.env` holds every secret the compose file
 * references, generating the missing ones the way `msx new` generates them
 * (a system made before the compose target had no RabbitMQ or Redis
 * password). Existing lines are kept byte for byte; the file stays 0600.
 */
export function ensureSystemSecrets(root: string, manifest: Manifest): DotEnvState {
  const path = join(root, DOT_ENV);
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const values = parseEnvFile(existing);
  const missing = missingSecrets(manifest, values);
  const added = Object.keys(missing);
  if (added.length > 0) {
    const lines = envFileText(missing).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const content = existing === '' ? envFileText(missing) : `${existing.replace(/\n?$/, '\n')}${lines.join('\n')}\n`;
    const temp = join(root, `.env.${process.pid}.msx-tmp`);
    writeFileSync(temp, content, { mode: 0o600 });
    renameSync(temp, path);
  }
  return { names: [...Object.keys(values), ...added], added };
}
