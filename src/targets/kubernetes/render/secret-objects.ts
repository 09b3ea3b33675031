import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { Manifest } from '../../../manifest/schema.js';
import { systemLabels } from './labels.js';
import { secretName, type SecretKeyUse } from './secret-refs.js';
import { requiredSecretKeys } from './required-secrets.js';

/** `.env` lacks keys the rendered objects read from the Secret. */
export class MissingSecretKeysError extends Error {
  override readonly name = 'MissingSecretKeysError';
  constructor(readonly keys: readonly string[]) {
    super(`.env has no ${keys.join(', ')}, which the Kubernetes objects read from the system's Secret`);
  }
}

/**
 * The system's Secret, as `msx deploy` creates it from `.env`: every key of
 * `.env`, base64 in `data` (`stringData` is write-only and merges badly
 * under server-side apply). Render never writes it to disk.
 *
 * @throws MissingSecretKeysError when `.env` lacks a key a pod would read
 *   (a pod would otherwise sit in CreateContainerConfigError).
 */
export function secretObjects(manifest: Manifest, namespace: string, dotEnv: Readonly<Record<string, string>>): ISecret[] {
  const missing = requiredSecretKeys(manifest).filter((use) => !use.optional && !(use.key in dotEnv)).map((use) => use.key);
  if (missing.length > 0) throw new MissingSecretKeysError([...new Set(missing)].sort());
  const data = Object.fromEntries(
    Object.keys(dotEnv).sort().map((key) => [key, Buffer.from(dotEnv[key]!, 'utf8').toString('base64')]),
  );
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName(manifest), namespace, labels: systemLabels(manifest) },
      type: 'Opaque',
      data,
    },
  ];
}

export type { SecretKeyUse };
