import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the system was last deployed to Kubernetes, kept in
 * `.msx/kubernetes.json` so `msx ps`, `logs`, `scale`, `trace`, `metrics`
 * and `down` operate that cluster and namespace without flags. Removed by
 * `msx down`.
 */
export interface KubernetesDeployment {
  readonly context: string;
  readonly namespace: string;
  readonly server: string;
  /** ms since epoch */
  readonly deployedAt: number;
}

export function deploymentRecordPath(root: string): string {
  return join(root, '.msx', 'kubernetes.json');
}

export function readDeployment(root: string): KubernetesDeployment | undefined {
  const path = deploymentRecordPath(root);
  if (!existsSync(path)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<KubernetesDeployment>;
    if (typeof value.context === 'string' && typeof value.namespace === 'string') return value as KubernetesDeployment;
  } catch {
    // unreadable: as if there were none; the next deploy writes it again
  }
  return undefined;
}

export function writeDeployment(root: string, deployment: KubernetesDeployment): void {
  mkdirSync(join(root, '.msx'), { recursive: true });
  const path = deploymentRecordPath(root);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(deployment, null, 2)}\n`);
  // renamed into place, so a reader never sees half a file
  renameSync(`${path}.tmp`, path);
}

export function forgetDeployment(root: string): void {
  rmSync(deploymentRecordPath(root), { force: true });
}
