import type { Manifest } from '../../manifest/schema.js';
import { ensureSystemSecrets as ensureRunSecrets } from '../../secrets/system-secrets.js';

export interface DotEnvState {
  /** Every variable name in the secrets file (`.env`, or the environment's `.env.<name>`) after the call. */
  readonly names: readonly string[];
  /** Secrets that were missing and have just been generated into it. */
  readonly added: readonly string[];
}

/**
 * Makes sure the run's secrets file holds every secret the compose file
 * references, generating the missing ones the way `msx new` generates them
 * (a system made before the compose target had no RabbitMQ or Redis
 * password): src/secrets/system-secrets.ts, as on every target.
 */
export function ensureSystemSecrets(root: string, manifest: Manifest): DotEnvState {
  const secrets = ensureRunSecrets(root, manifest);
  return { names: Object.keys(secrets.values), added: secrets.added };
}
