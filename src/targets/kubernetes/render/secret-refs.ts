import { envName } from '../../../manifest/names.js';
import type { Manifest } from '../../../manifest/schema.js';

/** The Secret msx deploy creates from the system's `.env`: one per system, its keys those of `.env`. */
export function secretName(manifest: Manifest): string {
  return `${manifest.name}-secrets`;
}

/** Key of `.env` (and the Secret) holding the password of a service's PostgreSQL. */
export function databasePasswordKey(service: string): string {
  return `${envName(service)}_DB_PASSWORD`;
}

/** Key holding a service's database URL when the infrastructure is external (as the local target reads it). */
export function databaseUrlKey(service: string): string {
  return `${envName(service)}_DATABASE_URL`;
}

export const RABBITMQ_PASSWORD_KEY = 'RABBITMQ_PASSWORD';
export const REDIS_PASSWORD_KEY = 'REDIS_PASSWORD';
/** External infrastructure: the broker's URL. */
export const BUS_URL_KEY = 'MSX_BUS_URL';
/** External infrastructure: Redis's URL. */
export const REDIS_URL_KEY = 'REDIS_URL';

/** One key of the Secret a container reads, and whether it may be missing. */
export interface SecretKeyUse {
  readonly key: string;
  readonly optional: boolean;
}
