import type { Manifest } from '../../../manifest/schema.js';
import { databasePasswordKey, RABBITMQ_PASSWORD_KEY, REDIS_PASSWORD_KEY, type SecretKeyUse } from './secret-refs.js';
import { serviceEnvironment } from './service-environment.js';
import { systemTopology } from './system-topology.js';

/**
 * Every key of the system's Secret that a rendered pod reads: what `.env`
 * must hold before `msx deploy` can run the system.
 */
export function requiredSecretKeys(manifest: Manifest): SecretKeyUse[] {
  const topology = systemTopology(manifest);
  const uses = topology.services.flatMap((service) => serviceEnvironment(manifest, topology, service).secretKeys);
  if (manifest.infrastructure.kubernetes.infrastructure === 'selfContained') {
    uses.push(...topology.withDatabase.map((service) => ({ key: databasePasswordKey(service), optional: false })));
    if (topology.onBus.length > 0) uses.push({ key: RABBITMQ_PASSWORD_KEY, optional: false });
    if (topology.redis) uses.push({ key: REDIS_PASSWORD_KEY, optional: false });
  }
  const byKey = new Map<string, SecretKeyUse>();
  for (const use of uses) {
    const seen = byKey.get(use.key);
    byKey.set(use.key, { key: use.key, optional: (seen?.optional ?? true) && use.optional });
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

